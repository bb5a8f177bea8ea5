//! Files below [`MULTIPART_THRESHOLD`](super::MULTIPART_THRESHOLD): read whole,
//! sent in one PUT (again from zero after a pause), then checked.

use super::verify::check_stored;
use super::{Progress, Upload, UploadError};
use crate::model::files;
use crate::model::session::CallError;
use crate::model::transport::SendOptions;
use cubby_core::s3;
use std::rc::Rc;

/// Sends the whole file in one PUT (`overwrite`: replace an existing object).
pub(super) async fn upload(upload: &Upload<'_>, overwrite: bool) -> Result<(), UploadError> {
    let Upload {
        session,
        source,
        key,
        content_type,
        control,
        ..
    } = *upload;
    let size = source.size();
    let body = source.read(0, size).await.map_err(UploadError::Read)?;
    let checksum = s3::crc32_checksum(&body);
    // A retried or resumed PUT starts sending from zero again; what is shown holds.
    let progress = Rc::new(Progress::default());
    loop {
        let abort = control.proceed().await?;
        let shown = progress.clone();
        let report = upload.on_progress.clone();
        let sent = files::put_bytes_with(
            session,
            key,
            body.clone(),
            content_type,
            !overwrite,
            SendOptions {
                progress: Some(Rc::new(move |sent| {
                    shown.part_sent(1, sent);
                    report(shown.bytes());
                })),
                ..control.send_options(Some(abort))
            },
        )
        .await;
        match sent {
            Ok(()) => break,
            // Paused (or cancelled): the whole PUT goes again on resume. If the
            // cut-off PUT was stored after all, the next one's 412 is checked
            // against this file (`Session::s3_write`).
            Err(CallError::Aborted) => {
                progress.part_dropped(1);
                (upload.on_progress)(progress.bytes());
            }
            Err(e) => return Err(UploadError::Call(e)),
        }
    }
    check_stored(upload, size, Some(&checksum)).await?;
    control.set_stored(size);
    (upload.on_progress)(size);
    Ok(())
}
