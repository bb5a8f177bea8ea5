//! Files from [`MULTIPART_THRESHOLD`](super::MULTIPART_THRESHOLD) up: a multipart
//! upload created (or a remembered one picked up), its parts sent by the
//! [`PartScheduler`], then completed and checked, or aborted so no orphan parts
//! stay behind.

use super::parts::PartScheduler;
use super::resume::{abort_upload, resumable, sort_by_part_number, ResumeRecord};
use super::verify::{check_stored, composite_crc32};
use super::{Upload, UploadError, UploadOptions, PREFERRED_PART_SIZE};
use crate::config::{UPLOAD_PARTS_IN_FLIGHT_MAX, UPLOAD_PARTS_IN_FLIGHT_MIN};
use crate::model::session::{CallError, Intended};
use cubby_core::s3;

pub(super) async fn upload(
    upload: &Upload<'_>,
    options: UploadOptions<'_>,
) -> Result<(), UploadError> {
    let Upload {
        session,
        source,
        key,
        content_type,
        control,
        ..
    } = *upload;
    let plan = s3::plan_parts(source.size(), PREFERRED_PART_SIZE)
        .map_err(|e| UploadError::Call(CallError::S3(e)))?;
    let resume = options.resume;
    let resumed = match &resume {
        Some(r) => resumable(session, source, &plan, key, r, control.send_options(None)).await?,
        None => None,
    };
    let (record, reused) = match resumed {
        Some(found) => found,
        None => {
            let upload_id = session
                .s3(
                    |ctx| s3::build_create_multipart_upload(ctx, key, content_type),
                    s3::parse_create_multipart_upload,
                    control.send_options(None),
                )
                .await
                .map_err(UploadError::Call)?;
            let record = ResumeRecord {
                upload_id,
                key: key.to_string(),
                part_size: plan.part_size(),
                created: session.env().now_secs(),
                parts: Vec::new(),
            };
            (record, Vec::new())
        }
    };
    let upload_id = record.upload_id.clone();
    let parts_in_flight = options
        .parts_in_flight
        .clamp(UPLOAD_PARTS_IN_FLIGHT_MIN, UPLOAD_PARTS_IN_FLIGHT_MAX);
    let scheduler = PartScheduler::new(
        upload,
        &plan,
        resume.as_ref(),
        record,
        reused,
        parts_in_flight,
    );
    scheduler.run().await;
    // Without a stored record, an upload that cannot finish now is one nobody
    // could pick up again: it is aborted below.
    let record_kept = scheduler.record_kept();

    let result = match scheduler.finish() {
        Err(e) => Err(e),
        Ok(mut parts) => {
            sort_by_part_number(&mut parts);
            let expected = composite_crc32(parts.iter().map(|p| p.checksum_crc32.as_deref()));
            let intended = Intended::Object {
                key,
                size: plan.file_size(),
                crc32: expected.as_deref(),
            };
            session
                .s3_write(
                    |ctx| {
                        s3::build_complete_multipart_upload(
                            ctx,
                            key,
                            &upload_id,
                            &parts,
                            !options.overwrite,
                        )
                    },
                    s3::parse_complete_multipart_upload,
                    &intended,
                    control.send_options(None),
                )
                .await
                .map(|_| parts)
                .map_err(UploadError::Call)
        }
    };
    let resumable_later =
        record_kept && matches!(&result, Err(UploadError::Call(CallError::Network(_))));
    if resumable_later {
        // S3 was out of reach: keep the parts and the record; picking the file
        // again sends only what is missing.
        return result.map(|_| ());
    }
    if let Some(r) = &resume {
        r.store.remove(&r.id);
    }
    let parts = match result {
        Ok(parts) => parts,
        Err(e) => {
            abort_upload(session, key, &upload_id).await;
            // Its parts are gone with it: a failed row shows what S3 holds.
            control.set_stored(0);
            return Err(e);
        }
    };
    let expected = composite_crc32(parts.iter().map(|p| p.checksum_crc32.as_deref()));
    check_stored(upload, plan.file_size(), expected.as_deref()).await
}
