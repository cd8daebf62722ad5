//! Media files attached to variants: what a file really is (from its bytes,
//! not its name), its size, pixel dimensions and, for video, duration and
//! container; and the app's own content-addressed copy in the data
//! directory (`media/<sha256>.<ext>`), so a moved or deleted original loses
//! nothing. Truncated and unreadable files get a clear [`MediaError`].

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use reachloop_ipc::{Attachment, MediaKind};
use sha2::{Digest, Sha256};

/// The largest file accepted (TikTok's 4 GB limit; others are checked by the rules).
pub const MAX_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// A file could not be used as media.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("cannot read {name}: {source}")]
    Unreadable {
        name: String,
        source: std::io::Error,
    },
    #[error("{0} is empty")]
    Empty(String),
    #[error("{name} is {size} bytes; the largest file Reachloop takes is 4 GB")]
    TooBig { name: String, size: u64 },
    #[error("{name} is not an image or video Reachloop can use{}; use JPEG, PNG, GIF, WebP, MP4, MOV or WebM", .found.as_deref().map(|f| format!(" (it is {f})")).unwrap_or_default())]
    WrongKind { name: String, found: Option<String> },
    #[error("{name} looks like {kind} but is damaged or cut off ({detail})")]
    Damaged {
        name: String,
        kind: String,
        detail: String,
    },
    #[error("cannot store the copy of {name}: {source}")]
    Store {
        name: String,
        source: std::io::Error,
    },
    /// A stored attachment's hash is not one Reachloop wrote.
    #[error("the attachment's reference is damaged (not 64 hex characters); remove it and attach the file again")]
    BadReference,
}

/// What a file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub kind: MediaKind,
    pub mime: &'static str,
    pub extension: &'static str,
    pub container: Option<&'static str>,
    pub bytes: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
}

const SNIFF_BYTES: usize = 64 * 1024;

/// Reads what `path` is from its bytes. `name` is what to call it in errors.
pub fn probe(path: &Path, name: &str) -> Result<Probe, MediaError> {
    let unreadable = |source| MediaError::Unreadable {
        name: name.to_string(),
        source,
    };
    let mut file = File::open(path).map_err(unreadable)?;
    let size = file.metadata().map_err(unreadable)?.len();
    if size == 0 {
        return Err(MediaError::Empty(name.into()));
    }
    if size > MAX_BYTES {
        return Err(MediaError::TooBig {
            name: name.into(),
            size,
        });
    }
    let mut head = vec![0u8; SNIFF_BYTES.min(size as usize)];
    file.read_exact(&mut head).map_err(unreadable)?;
    let found = infer::get(&head);
    let (kind, mime, extension, container): (
        MediaKind,
        &'static str,
        &'static str,
        Option<&'static str>,
    ) = match found.map(|t| t.mime_type()) {
        Some("image/jpeg") => (MediaKind::Image, "image/jpeg", "jpg", None),
        Some("image/png") => (MediaKind::Image, "image/png", "png", None),
        Some("image/webp") => (MediaKind::Image, "image/webp", "webp", None),
        Some("image/gif") => (MediaKind::Gif, "image/gif", "gif", None),
        Some("video/mp4") => (MediaKind::Video, "video/mp4", "mp4", Some("mp4")),
        Some("video/quicktime") => (MediaKind::Video, "video/quicktime", "mov", Some("mov")),
        Some("video/webm") => (MediaKind::Video, "video/webm", "webm", Some("webm")),
        other => {
            return Err(MediaError::WrongKind {
                name: name.into(),
                found: other.map(String::from),
            })
        }
    };
    let damaged = |detail: String| MediaError::Damaged {
        name: name.into(),
        kind: mime.into(),
        detail,
    };
    let mut probe = Probe {
        kind,
        mime,
        extension,
        container,
        bytes: size,
        width: None,
        height: None,
        duration_ms: None,
    };
    match kind {
        MediaKind::Image | MediaKind::Gif => {
            let dims = imagesize::blob_size(&head)
                .map_err(|e| damaged(format!("no readable size: {e}")))?;
            probe.width = u32::try_from(dims.width).ok();
            probe.height = u32::try_from(dims.height).ok();
            let tail = read_tail(&mut file, size, 16).map_err(unreadable)?;
            image_complete(mime, &head, &tail, size).map_err(damaged)?;
        }
        _ if mime == "video/webm" => {
            let mut all = Vec::new();
            file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
            // The header elements are near the start; a few MB is plenty.
            file.take(8 * 1024 * 1024)
                .read_to_end(&mut all)
                .map_err(unreadable)?;
            let info = webm::read_info(&all, size).map_err(damaged)?;
            probe.duration_ms = info.duration_ms;
            probe.width = info.width;
            probe.height = info.height;
        }
        _ => {
            file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
            // The parser is a dependency: should it trip over a hostile file,
            // that is a damaged file, not a crash.
            let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                mp4::Mp4Reader::read_header(BufReader::new(&mut file), size).map(|mp4| {
                    let video = mp4
                        .tracks()
                        .values()
                        .find(|t| matches!(t.track_type(), Ok(mp4::TrackType::Video)))
                        .map(|t| (u32::from(t.width()), u32::from(t.height())));
                    (mp4.moov.mvhd.timescale, mp4.duration(), video)
                })
            }))
            .map_err(|_| damaged("the MP4 structure cannot be read".into()))?;
            let (timescale, duration, video) = parsed.map_err(|e| damaged(e.to_string()))?;
            if timescale == 0 {
                return Err(damaged("the movie header has no timescale".into()));
            }
            probe.duration_ms = Some(duration.as_millis() as u64);
            if let Some((w, h)) = video {
                probe.width = Some(w);
                probe.height = Some(h);
            }
            boxes_complete(&mut file, size).map_err(damaged)?;
        }
    }
    Ok(probe)
}

fn read_tail(file: &mut File, size: u64, n: u64) -> std::io::Result<Vec<u8>> {
    let n = n.min(size);
    file.seek(SeekFrom::Start(size - n))?;
    let mut tail = vec![0u8; n as usize];
    file.read_exact(&mut tail)?;
    Ok(tail)
}

/// Whether an image file ends where its format says it ends.
fn image_complete(mime: &str, head: &[u8], tail: &[u8], size: u64) -> Result<(), String> {
    let trimmed: &[u8] = {
        let end = tail.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        &tail[..end]
    };
    match mime {
        "image/jpeg" if !trimmed.ends_with(&[0xFF, 0xD9]) => {
            Err("the JPEG end marker is missing".into())
        }
        "image/png" if !tail.ends_with(&[0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]) => {
            Err("the PNG end chunk is missing".into())
        }
        "image/gif" if trimmed.last() != Some(&0x3B) => Err("the GIF trailer is missing".into()),
        "image/webp" => {
            let declared = head
                .get(4..8)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64 + 8);
            match declared {
                Some(d) if d <= size => Ok(()),
                Some(d) => Err(format!("the file says it is {d} bytes but has {size}")),
                None => Err("the RIFF header is cut off".into()),
            }
        }
        _ => Ok(()),
    }
}

/// Whether the top-level boxes of an MP4/MOV fill the file exactly.
fn boxes_complete(file: &mut File, size: u64) -> Result<(), String> {
    let mut at = 0u64;
    while at < size {
        let mut header = [0u8; 16];
        file.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
        let n = file.read(&mut header).map_err(|e| e.to_string())?;
        if n < 8 {
            return Err(format!("a box header at byte {at} is cut off"));
        }
        let mut len = u64::from(u32::from_be_bytes([
            header[0], header[1], header[2], header[3],
        ]));
        if len == 1 {
            if n < 16 {
                return Err(format!("a box header at byte {at} is cut off"));
            }
            len = u64::from_be_bytes(header[8..16].try_into().expect("8 bytes"));
        } else if len == 0 {
            // "To the end of the file".
            return Ok(());
        }
        if len < 8 {
            return Err(format!("a box at byte {at} has an impossible size {len}"));
        }
        // A 64-bit size from the file can be anything: never overflow.
        at = at
            .checked_add(len)
            .filter(|end| *end <= size)
            .ok_or_else(|| {
                format!("the box at byte {at} claims {len} bytes, more than the file has")
            })?;
    }
    Ok(())
}

/// Copies `path` into `media_dir` under its SHA-256 and describes it. The
/// same file attached twice is stored once.
pub fn import(media_dir: &Path, path: &Path, name: &str) -> Result<Attachment, MediaError> {
    let probe = probe(path, name)?;
    let store = |source| MediaError::Store {
        name: name.to_string(),
        source,
    };
    crate::paths::create_private_dir_all(media_dir).map_err(store)?;
    let mut source = File::open(path).map_err(|source| MediaError::Unreadable {
        name: name.into(),
        source,
    })?;
    // Hash while copying to a temporary file, then rename: a crash leaves
    // no half-written file under a real name.
    let mut temp = tempfile::NamedTempFile::new_in(media_dir).map_err(store)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = source
            .read(&mut buf)
            .map_err(|source| MediaError::Unreadable {
                name: name.into(),
                source,
            })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        temp.write_all(&buf[..n]).map_err(store)?;
    }
    temp.as_file().sync_all().map_err(store)?;
    let sha256 = hex::encode(hasher.finalize());
    let target = stored_path(media_dir, &sha256, probe.extension)?;
    if target.exists() {
        drop(temp);
    } else {
        temp.persist(&target).map_err(|e| store(e.error))?;
    }
    Ok(Attachment {
        sha256,
        kind: probe.kind,
        mime: probe.mime.into(),
        bytes: probe.bytes,
        width: probe.width,
        height: probe.height,
        duration_ms: probe.duration_ms,
        container: probe.container.map(String::from),
        file_name: name.chars().take(200).collect(),
    })
}

/// Where the copy of a file with `sha256` lives. The hash comes back from
/// the database (and the window), so it must be 64 hex characters, as
/// [`import`] writes it, before it becomes part of a path: anything else
/// (`../…`, `/…`) could name a file outside the media folder.
pub fn stored_path(media_dir: &Path, sha256: &str, extension: &str) -> Result<PathBuf, MediaError> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(MediaError::BadReference);
    }
    Ok(media_dir.join(format!("{sha256}.{extension}")))
}

/// The extension Reachloop stores a MIME type under.
pub fn extension_of(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "video/quicktime" => "mov",
        "video/webm" => "webm",
        _ => "mp4",
    }
}

/// Just enough Matroska/WebM (EBML) to read duration and picture size.
mod webm {
    pub struct Info {
        pub duration_ms: Option<u64>,
        pub width: Option<u32>,
        pub height: Option<u32>,
    }

    const EBML: u64 = 0x1A45_DFA3;
    const SEGMENT: u64 = 0x1853_8067;
    const INFO: u64 = 0x1549_A966;
    const TIMECODE_SCALE: u64 = 0x2A_D7B1;
    const DURATION: u64 = 0x4489;
    const TRACKS: u64 = 0x1654_AE6B;
    const TRACK_ENTRY: u64 = 0xAE;
    const VIDEO: u64 = 0xE0;
    const PIXEL_WIDTH: u64 = 0xB0;
    const PIXEL_HEIGHT: u64 = 0xBA;

    /// A variable-length integer at `at`: (value, length). `keep_marker`
    /// for element ids. `None` for an unknown size (all ones).
    fn vint(data: &[u8], at: usize, keep_marker: bool) -> Result<(Option<u64>, usize), String> {
        let first = *data.get(at).ok_or("cut off inside an element header")?;
        if first == 0 {
            return Err(format!("invalid element header at byte {at}"));
        }
        let len = first.leading_zeros() as usize + 1;
        let bytes = data
            .get(at..at + len)
            .ok_or("cut off inside an element header")?;
        let mut value = if keep_marker {
            u64::from(first)
        } else {
            u64::from(first) & (0xFF_u64 >> len)
        };
        for b in &bytes[1..] {
            value = (value << 8) | u64::from(*b);
        }
        let all_ones = !keep_marker && value == (1u64 << (7 * len)) - 1;
        Ok((if all_ones { None } else { Some(value) }, len))
    }

    /// The elements in `data[start..end]`: (id, payload start, payload end).
    fn children(data: &[u8], start: usize, end: usize) -> Result<Vec<(u64, usize, usize)>, String> {
        let mut out = Vec::new();
        let mut at = start;
        while at < end {
            let (id, id_len) = vint(data, at, true)?;
            let (size, size_len) = vint(data, at + id_len, false)?;
            let payload = at + id_len + size_len;
            let stop = match size {
                Some(s) => payload
                    .checked_add(usize::try_from(s).map_err(|_| "an element is too large")?)
                    .ok_or("an element is too large")?,
                None => end,
            };
            // The end may lie past `end` (a cut-off file): callers clamp.
            out.push((id.unwrap_or(0), payload, stop));
            if stop > end {
                // The last element runs past what we read: stop here.
                break;
            }
            at = stop;
        }
        Ok(out)
    }

    fn uint(data: &[u8]) -> u64 {
        data.iter().fold(0, |v, b| (v << 8) | u64::from(*b))
    }

    pub fn read_info(data: &[u8], file_size: u64) -> Result<Info, String> {
        let n = data.len();
        let top = children(data, 0, n)?;
        if top.first().map(|e| e.0) != Some(EBML) {
            return Err("no EBML header".into());
        }
        let (_, seg_start, seg_end) = *top
            .iter()
            .find(|e| e.0 == SEGMENT)
            .ok_or("no Segment (cut off?)")?;
        let declared_end = seg_end;
        let seg_end = seg_end.min(n);
        let mut info = Info {
            duration_ms: None,
            width: None,
            height: None,
        };
        let mut scale = 1_000_000u64;
        let mut raw_duration = None;
        for (id, s, e) in children(data, seg_start, seg_end)? {
            let e = e.min(n);
            match id {
                INFO => {
                    for (id, s, e) in children(data, s, e)? {
                        let e = e.min(n);
                        match id {
                            TIMECODE_SCALE => scale = uint(&data[s..e]).max(1),
                            DURATION => {
                                raw_duration = match e - s {
                                    4 => Some(f64::from(f32::from_be_bytes(
                                        data[s..e].try_into().map_err(|_| "bad duration")?,
                                    ))),
                                    8 => Some(f64::from_be_bytes(
                                        data[s..e].try_into().map_err(|_| "bad duration")?,
                                    )),
                                    _ => None,
                                }
                            }
                            _ => {}
                        }
                    }
                }
                TRACKS => {
                    for (id, s, e) in children(data, s, e)? {
                        if id != TRACK_ENTRY {
                            continue;
                        }
                        for (id, s, e) in children(data, s, e.min(n))? {
                            if id != VIDEO {
                                continue;
                            }
                            for (id, s, e) in children(data, s, e.min(n))? {
                                let e = e.min(n);
                                match id {
                                    PIXEL_WIDTH => {
                                        info.width = u32::try_from(uint(&data[s..e])).ok()
                                    }
                                    PIXEL_HEIGHT => {
                                        info.height = u32::try_from(uint(&data[s..e])).ok()
                                    }
                                    _ => {}
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        // A known segment size must fit in the file.
        if (n as u64) == file_size && declared_end > n {
            return Err("the Segment is cut off".into());
        }
        info.duration_ms = raw_duration
            .filter(|d| d.is_finite() && *d >= 0.0)
            .map(|d| (d * scale as f64 / 1_000_000.0).round() as u64);
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxes(bytes: &[u8]) -> Result<(), String> {
        let mut f = tempfile::tempfile().expect("temp file");
        std::io::Write::write_all(&mut f, bytes).expect("write");
        boxes_complete(&mut f, bytes.len() as u64)
    }

    #[test]
    fn box_sizes_from_the_file_cannot_overflow_the_walk() {
        // An 8-byte box, then one whose 64-bit size would wrap the offset.
        let mut bytes = vec![0, 0, 0, 8, b'f', b't', b'y', b'p'];
        bytes.extend([0, 0, 0, 1, b'm', b'd', b'a', b't']);
        bytes.extend((u64::MAX - 4).to_be_bytes());
        let err = boxes(&bytes).expect_err("impossible size");
        assert!(err.contains("more than the file has"), "{err}");
        // Boxes that fill the file exactly are fine; one byte short is not.
        assert_eq!(boxes(&[0, 0, 0, 8, b'f', b't', b'y', b'p']), Ok(()));
        assert!(boxes(&[0, 0, 0, 9, b'f', b't', b'y', b'p']).is_err());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Arbitrary bytes behind each format's magic never panic the probe.
        #[test]
        fn probing_never_panics(
            magic in prop::sample::select(vec![
                &b"\xFF\xD8\xFF\xE0"[..],
                &b"\x89PNG\r\n\x1a\n"[..],
                &b"GIF89a"[..],
                &b"RIFF\x10\x00\x00\x00WEBPVP8 "[..],
                &b"\x00\x00\x00\x18ftypisom"[..],
                &b"\x00\x00\x00\x14ftypqt  "[..],
                &b"\x1A\x45\xDF\xA3"[..],
            ]),
            rest in prop::collection::vec(any::<u8>(), 0..600),
        ) {
            let dir = tempfile::tempdir().expect("dir");
            let path = dir.path().join("f");
            let mut bytes = magic.to_vec();
            bytes.extend(rest);
            std::fs::write(&path, &bytes).expect("write");
            let _ = probe(&path, "f");
        }

        #[test]
        fn webm_reading_never_panics(data in prop::collection::vec(any::<u8>(), 0..300), size in 0u64..400) {
            let _ = webm::read_info(&data, size);
        }
    }
}
