//! Details' totals: the files below a folder and their bytes, summed page by page.

use crate::model::files::list_objects;
use crate::model::session::{CallError, Session};
use crate::model::transport::{AbortSignal, SendOptions};

/// The files at or below a folder and their bytes (folder marker objects, the
/// zero-byte `name/` keys "New folder" makes, are not files).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TreeTotals {
    pub files: u64,
    pub bytes: u64,
}

/// Sums every object below `prefix` (ListObjectsV2 without delimiter, 1,000 keys
/// a page; nothing kept but the sums), telling `progress` the totals so far after
/// each page. `abort` stops it.
///
/// # Errors
/// The first page that fails (`CallError::Aborted` when stopped).
pub async fn tree_totals(
    session: &Session,
    prefix: &str,
    abort: &AbortSignal,
    progress: &dyn Fn(TreeTotals),
) -> Result<TreeTotals, CallError> {
    let (mut totals, mut token) = (TreeTotals::default(), None::<String>);
    loop {
        let options = SendOptions {
            abort: Some(abort.clone()),
            ..SendOptions::default()
        };
        let page = list_objects(session, prefix, None, 1000, token.as_deref(), options).await?;
        for object in page.objects.iter().filter(|o| !o.key.ends_with('/')) {
            totals.files += 1;
            totals.bytes += object.size;
        }
        progress(totals);
        match page.next_continuation_token.filter(|_| page.is_truncated) {
            Some(next) => token = Some(next),
            None => return Ok(totals),
        }
    }
}
