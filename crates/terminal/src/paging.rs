//! Walking a large ledger listing page by page, so no use case holds every record at once.

use std::future::Future;

use cloudpos_domain::order::Order;
use cloudpos_domain::ports::{OrderFilter, Page, RefundFilter};
use cloudpos_domain::refund::Refund;

use crate::{Result, Terminal};

/// Rows fetched per page when a use case walks the ledger.
pub(crate) const PAGE: u32 = 5_000;

/// Calls `each` with every page `fetch(page)` returns, until a short page.
pub(crate) async fn each_page<T, Fut>(
    mut fetch: impl FnMut(u32) -> Fut,
    mut each: impl FnMut(&[T]) -> Result<()>,
) -> Result<()>
where
    Fut: Future<Output = Result<Page<T>>>,
{
    let mut page = 0;
    loop {
        let p = fetch(page).await?;
        each(&p.items)?;
        if p.items.len() < PAGE as usize {
            return Ok(());
        }
        page += 1;
    }
}

impl Terminal {
    /// Every order matching `filter` (its paging fields are ignored), a page at a time.
    pub(crate) async fn each_order_page(
        &self,
        filter: &OrderFilter,
        each: impl FnMut(&[Order]) -> Result<()>,
    ) -> Result<()> {
        let ledger = &self.inner.ports.ledger;
        each_page(
            |page| async move {
                Ok(ledger
                    .orders(&OrderFilter {
                        page,
                        page_size: PAGE,
                        ..filter.clone()
                    })
                    .await?)
            },
            each,
        )
        .await
    }

    /// Every refund matching `filter` (its paging fields are ignored), a page at a time.
    pub(crate) async fn each_refund_page(
        &self,
        filter: &RefundFilter,
        each: impl FnMut(&[Refund]) -> Result<()>,
    ) -> Result<()> {
        let ledger = &self.inner.ports.ledger;
        each_page(
            |page| async move {
                Ok(ledger
                    .refunds(&RefundFilter {
                        page,
                        page_size: PAGE,
                        ..filter.clone()
                    })
                    .await?)
            },
            each,
        )
        .await
    }
}
