//! Cloud Pay (腾讯云支付) HTTPS API client: wire types, envelope, HMAC/RSA signing, and the PaymentGateway adapter.
