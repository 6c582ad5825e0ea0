-- Summaries count a refund in the period it succeeded.
CREATE INDEX refunds_succeeded ON refunds (succeeded_at);
