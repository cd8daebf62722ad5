//! Media files attached to variants: real files written to disk (JPEG, PNG,
//! GIF, an MP4 written with the `mp4` crate, a hand-built WebM), read for
//! their true type, size and duration, copied content-addressed, and
//! refused clearly when truncated or of the wrong kind.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use base64::Engine;
use reachloop::media::{self, MediaError};
use reachloop::store::Actor;
use reachloop::App;
use reachloop_ipc::{MediaKind, NewCampaign, Platform, VariantText};

use crate::{at, data_dir};

pub fn png_1x1() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
        .expect("png")
}

fn gif_1x1() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
        .expect("gif")
}

/// A JPEG skeleton: SOI, JFIF, a baseline frame header of `w`x`h`, EOI.
pub fn jpeg(w: u16, h: u16) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    b.extend(b"JFIF\0");
    b.extend([1, 1, 0, 0, 1, 0, 1, 0, 0]);
    b.extend([0xFF, 0xC0, 0x00, 0x11, 0x08]);
    b.extend(h.to_be_bytes());
    b.extend(w.to_be_bytes());
    b.extend([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    b.extend([0xFF, 0xD9]);
    b
}

/// A real MP4 (H.264 track `w`x`h`, `seconds` one-second samples).
pub fn mp4(w: u16, h: u16, seconds: u32) -> Vec<u8> {
    let brand = |s: &str| s.parse::<mp4::FourCC>().expect("fourcc");
    let config = mp4::Mp4Config {
        major_brand: brand("isom"),
        minor_version: 512,
        compatible_brands: vec![brand("isom"), brand("iso2"), brand("avc1"), brand("mp41")],
        timescale: 1000,
    };
    let mut writer = mp4::Mp4Writer::write_start(Cursor::new(Vec::new()), &config).expect("start");
    writer
        .add_track(&mp4::TrackConfig {
            track_type: mp4::TrackType::Video,
            timescale: 1000,
            language: "und".into(),
            media_conf: mp4::MediaConfig::AvcConfig(mp4::AvcConfig {
                width: w,
                height: h,
                seq_param_set: vec![0x67, 0x42, 0xC0, 0x1E, 0x95, 0xA0, 0x28, 0x0F, 0x68, 0x40],
                pic_param_set: vec![0x68, 0xCE, 0x38, 0x80],
            }),
        })
        .expect("track");
    for i in 0..seconds {
        writer
            .write_sample(
                1,
                &mp4::Mp4Sample {
                    start_time: u64::from(i) * 1000,
                    duration: 1000,
                    rendering_offset: 0,
                    is_sync: true,
                    bytes: mp4::Bytes::from(vec![0u8, 0, 0, 2, 0x65, 0x88]),
                },
            )
            .expect("sample");
    }
    writer.write_end().expect("end");
    writer.into_writer().into_inner()
}

/// A minimal WebM: EBML header, Segment with Info (1 ms timecodes,
/// duration `ms`) and one video track of `w`x`h`.
fn webm(w: u16, h: u16, ms: f64) -> Vec<u8> {
    fn el(id: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut b = id.to_vec();
        b.push(0x01); // an 8-byte size: marker, then 7 bytes
        b.extend(&(payload.len() as u64).to_be_bytes()[1..]);
        b.extend(payload);
        b
    }
    let header = el(&[0x1A, 0x45, 0xDF, 0xA3], &el(&[0x42, 0x82], b"webm"));
    let mut info = el(&[0x2A, 0xD7, 0xB1], &1_000_000u32.to_be_bytes());
    info.extend(el(&[0x44, 0x89], &ms.to_be_bytes()));
    let mut video = el(&[0xB0], &w.to_be_bytes());
    video.extend(el(&[0xBA], &h.to_be_bytes()));
    let tracks = el(
        &[0x16, 0x54, 0xAE, 0x6B],
        &el(&[0xAE], &el(&[0xE0], &video)),
    );
    let mut segment = el(&[0x15, 0x49, 0xA9, 0x66], &info);
    segment.extend(tracks);
    let mut file = header;
    file.extend(el(&[0x18, 0x53, 0x80, 0x67], &segment));
    file
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn files_are_read_for_what_they_are_not_what_they_are_called() {
    let dir = data_dir();
    type Case = (
        &'static str,
        Vec<u8>,
        MediaKind,
        &'static str,
        (u32, u32),
        Option<u64>,
    );
    let cases: Vec<Case> = vec![
        (
            "photo.jpg",
            jpeg(1080, 1350),
            MediaKind::Image,
            "image/jpeg",
            (1080, 1350),
            None,
        ),
        (
            "dot.png",
            png_1x1(),
            MediaKind::Image,
            "image/png",
            (1, 1),
            None,
        ),
        (
            "anim.gif",
            gif_1x1(),
            MediaKind::Gif,
            "image/gif",
            (1, 1),
            None,
        ),
        (
            "clip.mp4",
            mp4(1080, 1920, 12),
            MediaKind::Video,
            "video/mp4",
            (1080, 1920),
            Some(12_000),
        ),
        (
            "clip.webm",
            webm(640, 360, 4500.0),
            MediaKind::Video,
            "video/webm",
            (640, 360),
            Some(4500),
        ),
        // The name lies; the bytes decide.
        (
            "really-a-jpeg.txt",
            jpeg(320, 320),
            MediaKind::Image,
            "image/jpeg",
            (320, 320),
            None,
        ),
    ];
    for (name, bytes, kind, mime, dims, duration) in cases {
        let path = write(dir.path(), name, &bytes);
        let p = media::probe(&path, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((p.kind, p.mime), (kind, mime), "{name}");
        assert_eq!((p.width, p.height), (Some(dims.0), Some(dims.1)), "{name}");
        assert_eq!(p.duration_ms, duration, "{name}");
        assert_eq!(p.bytes, bytes.len() as u64);
    }
}

#[test]
fn truncated_unreadable_and_wrong_files_are_explained() {
    let dir = data_dir();
    let probe = |name: &str, bytes: &[u8]| {
        let path = write(dir.path(), name, bytes);
        media::probe(&path, name).expect_err(name).to_string()
    };
    let jpg = jpeg(100, 100);
    assert!(probe("cut.jpg", &jpg[..jpg.len() - 2]).contains("JPEG end marker is missing"));
    let png = png_1x1();
    assert!(probe("cut.png", &png[..png.len() - 5]).contains("damaged or cut off"));
    let video = mp4(640, 360, 3);
    let err = probe("cut.mp4", &video[..video.len() - 40]);
    assert!(
        err.contains("cut.mp4 looks like video/mp4 but is damaged or cut off"),
        "{err}"
    );
    let w = webm(640, 360, 1000.0);
    assert!(probe("cut.webm", &w[..w.len() - 10]).contains("cut off"));
    let err = probe("notes.jpg", b"just some text, not a picture");
    assert!(
        err.contains("notes.jpg is not an image or video Reachloop can use"),
        "{err}"
    );
    let err = probe("doc.mp4", b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj");
    assert!(err.contains("(it is application/pdf)"), "{err}");
    assert!(probe("empty.png", b"").contains("is empty"));
    let missing = media::probe(&dir.path().join("nope.png"), "nope.png").expect_err("missing");
    assert!(
        matches!(missing, MediaError::Unreadable { .. }),
        "{missing}"
    );
}

#[test]
fn imports_are_content_addressed_and_stored_once() {
    let dir = data_dir();
    let store = dir.path().join("media");
    let a = write(dir.path(), "a.mp4", &mp4(720, 1280, 5));
    let b = write(
        dir.path(),
        "copy-of-a.mp4",
        &std::fs::read(&a).expect("read"),
    );
    let first = media::import(&store, &a, "a.mp4").expect("import");
    let second = media::import(&store, &b, "copy-of-a.mp4").expect("import again");
    assert_eq!(first.sha256, second.sha256);
    assert_eq!(first.container.as_deref(), Some("mp4"));
    let stored: Vec<_> = std::fs::read_dir(&store).expect("dir").flatten().collect();
    assert_eq!(stored.len(), 1, "one copy, no leftovers: {stored:?}");
    let copy = media::stored_path(&store, &first.sha256, "mp4").expect("a hash import made");
    assert_eq!(
        std::fs::read(copy).expect("copy"),
        std::fs::read(&a).expect("original")
    );
    // The original can go; the app's copy stays.
    std::fs::remove_file(&a).expect("remove");
    assert!(media::stored_path(&store, &first.sha256, "mp4")
        .expect("a hash import made")
        .exists());
}

#[tokio::test]
async fn attached_media_are_checked_with_the_variant() {
    let dir = data_dir();
    let app = App::open(dir.path()).await.expect("open");
    let c = app
        .create_campaign(
            at(9, 0),
            uuid::Uuid::new_v4(),
            Actor::User,
            &NewCampaign {
                name: "Media".into(),
                platforms: vec!["tiktok".into(), "instagram".into()],
                goal: "reach".into(),
                ..Default::default()
            },
        )
        .await
        .expect("campaign");
    let text = VariantText {
        title: None,
        body: "New bake #sourdough".into(),
    };
    let tiktok = app
        .add_variant(at(9, 1), &c.id, Platform::Tiktok, &text, Actor::User)
        .await
        .expect("variant");
    let check = app
        .check_post(Platform::Tiktok, &text, Some(&c.id), Some(&tiktok.id))
        .await
        .expect("check");
    assert_eq!(check.problems[0].code, "video_required");

    let clip = write(dir.path(), "clip.mp4", &mp4(1080, 1920, 15));
    let with = app
        .attach_media(at(9, 2), &tiktok.id, &clip, Actor::User)
        .await
        .expect("attach");
    assert_eq!(with.attachments.len(), 1);
    assert_eq!(with.attachments[0].duration_ms, Some(15_000));
    let check = app
        .check_post(Platform::Tiktok, &text, Some(&c.id), Some(&tiktok.id))
        .await
        .expect("check");
    assert!(check.valid, "{:?}", check.problems);

    // Dropped bytes: a PNG on Instagram, which publishes JPEGs.
    let ig = app
        .add_variant(at(9, 3), &c.id, Platform::Instagram, &text, Actor::User)
        .await
        .expect("variant");
    let with = app
        .attach_media_bytes(
            at(9, 4),
            &ig.id,
            "/some/where/dot.png",
            png_1x1(),
            Actor::User,
        )
        .await
        .expect("drop");
    assert_eq!(with.attachments[0].file_name, "dot.png");
    let check = app
        .check_post(Platform::Instagram, &text, Some(&c.id), Some(&ig.id))
        .await
        .expect("check");
    assert_eq!(check.problems[0].code, "unsupported_media");
    let preview = app
        .media_preview(&with.attachments[0].sha256, "image/png")
        .expect("preview")
        .expect("an image preview");
    assert!(preview.starts_with("data:image/png;base64,iVBOR"));
    assert_eq!(
        app.media_preview(&"0".repeat(64), "video/mp4")
            .expect("video"),
        None
    );
    assert!(app.media_preview("../../etc/passwd", "image/png").is_err());

    // A broken file is refused and nothing changes.
    let broken = write(dir.path(), "broken.mp4", &mp4(640, 360, 2)[..100]);
    let err = app
        .attach_media(at(9, 5), &ig.id, &broken, Actor::User)
        .await
        .expect_err("broken");
    assert_eq!(err.code(), "media");
    assert!(err.to_string().contains("broken.mp4"), "{err}");
    let still = app
        .detach_media(at(9, 6), &ig.id, &with.attachments[0].sha256, Actor::User)
        .await
        .expect("detach");
    assert!(still.attachments.is_empty());
    let actions: Vec<String> = app
        .recent_audit(20)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.iter().any(|a| a == "variant.media_attached"));
    assert!(actions.iter().any(|a| a == "variant.media_detached"));
}
