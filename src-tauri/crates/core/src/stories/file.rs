//! The story file (TOML): every story of a library, for `story export` / `story import`.
//!
//! TOML, as decks and templates are: one strict parser (unknown fields refused, syntax
//! errors with their line), multi-line strings for the STAR texts, and text that survives
//! hand editing in any language. An export holds no timestamp, so exporting, importing into
//! another library and exporting again gives the same bytes. An import is all or nothing:
//! the whole file is checked first, then written in one transaction; a story whose `uid`
//! is already in the library is updated in place (its takes stay linked), others are added.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{invalid, is_valid_uid, new_uid, StoryFields};
use crate::error::{echo, CoreError, Result};
use crate::library::Library;
use crate::model::QuestionId;

pub const STORY_FILE_FORMAT: u32 = 1;
/// Largest story file read.
pub const MAX_STORY_FILE_BYTES: u64 = 8 << 20;
/// Most stories in one file.
pub const MAX_STORIES: usize = 2000;

/// A story file as parsed.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryFile {
    pub format: u32,
    #[serde(default)]
    pub stories: Vec<StoryEntry>,
}

/// One story in the file. Only `title` and `principles` are required; `primary` defaults to
/// the first principle; `uid` is written by an export (a story without one is added).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    pub title: String,
    pub principles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub situation: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub task: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub action: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub numbers: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub role: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub team: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cue_card: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

impl StoryEntry {
    fn fields(&self) -> StoryFields {
        StoryFields {
            title: self.title.clone(),
            situation: self.situation.clone(),
            task: self.task.clone(),
            action: self.action.clone(),
            result: self.result.clone(),
            numbers: self.numbers.clone(),
            role: self.role.clone(),
            team: self.team.clone(),
            year: self.year,
            primary: self.primary.clone().or_else(|| self.principles.first().cloned()).unwrap_or_default(),
            principles: self.principles.clone(),
            tags: self.tags.clone(),
            cue_card: self.cue_card.clone(),
            questions: self.questions.iter().map(|q| QuestionId(q.clone())).collect(),
            notes: self.notes.clone(),
        }
        .normalized()
    }

    fn from_story(uid: &str, f: &StoryFields) -> Self {
        StoryEntry {
            uid: Some(uid.to_string()),
            title: f.title.clone(),
            principles: f.principles.clone(),
            primary: Some(f.primary.clone()),
            situation: f.situation.clone(),
            task: f.task.clone(),
            action: f.action.clone(),
            result: f.result.clone(),
            numbers: f.numbers.clone(),
            role: f.role.clone(),
            team: f.team.clone(),
            year: f.year,
            tags: f.tags.clone(),
            cue_card: f.cue_card.clone(),
            questions: f.questions.iter().map(|q| q.0.clone()).collect(),
            notes: f.notes.clone(),
        }
    }
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoryImportReport {
    pub added: usize,
    pub updated: usize,
}

/// Where each `[[stories]]` table starts (1-based lines), for messages about a story.
fn story_lines(text: &str) -> Vec<usize> {
    text.lines().enumerate().filter(|(_, l)| l.trim_start().starts_with("[[stories]]")).map(|(i, _)| i + 1).collect()
}

/// Parses and checks a story file's text (everything that needs no library). `file` names
/// it in errors. Returns each story's uid (a new one for stories without) and fields.
pub fn parse_story_file(file: &str, text: &str) -> Result<Vec<(String, StoryFields)>> {
    let bad = |message: String| invalid(format!("story file {file}"), message);
    if text.starts_with('\u{feff}') {
        return Err(bad("starts with a byte-order mark (BOM); save it as UTF-8 without BOM".into()));
    }
    let parsed: StoryFile = toml::from_str(text).map_err(|e| bad(crate::deck::toml_error(text, &e)))?;
    if parsed.format != STORY_FILE_FORMAT {
        return Err(bad(format!("format = {} is not supported (this version reads format {STORY_FILE_FORMAT})", parsed.format)));
    }
    if parsed.stories.len() > MAX_STORIES {
        return Err(bad(format!("has {} stories (at most {MAX_STORIES})", parsed.stories.len())));
    }
    let lines = story_lines(text);
    let mut uids = HashSet::new();
    let mut out = Vec::with_capacity(parsed.stories.len());
    for (i, entry) in parsed.stories.iter().enumerate() {
        let at = match lines.get(i) {
            Some(line) => format!("story {} (line {line}, \"{}\")", i + 1, echo(entry.title.trim())),
            None => format!("story {} (\"{}\")", i + 1, echo(entry.title.trim())),
        };
        let uid = match &entry.uid {
            Some(u) if !is_valid_uid(u) => return Err(bad(format!("{at}: uid \"{}\" is not a UUID such as an export writes", echo(u)))),
            Some(u) => u.clone(),
            None => new_uid(),
        };
        if !uids.insert(uid.clone()) {
            return Err(bad(format!("{at}: uid \"{uid}\" is given to an earlier story too")));
        }
        let fields = entry.fields();
        fields.validate().map_err(|m| bad(format!("{at}: {m}")))?;
        out.push((uid, fields));
    }
    Ok(out)
}

/// The file format of a list of (uid, fields), as `story export` writes it.
pub fn stories_to_toml(stories: &[(String, StoryFields)]) -> String {
    let file = StoryFile { format: STORY_FILE_FORMAT, stories: stories.iter().map(|(u, f)| StoryEntry::from_story(u, f)).collect() };
    let body = toml::to_string(&file).unwrap_or_default();
    format!(
        "# Rehearse stories ({} in all). Edit, then `rehearse-cli story import FILE`: a story keeps its uid;\n\
         # one without a uid is added as a new story.\n{body}",
        stories.len()
    )
}

impl Library {
    /// Checks a story file without changing anything.
    pub fn validate_story_file(&self, path: &Path) -> Result<Vec<(String, StoryFields)>> {
        let file = path.display().to_string();
        let text = crate::deck::read_limited_text(path, MAX_STORY_FILE_BYTES, "story files")
            .map_err(|m| invalid(format!("story file {file}"), m))?;
        let stories = parse_story_file(&file, &text)?;
        let lines = story_lines(&text);
        for (i, (_, fields)) in stories.iter().enumerate() {
            let line = lines.get(i).map(|l| format!(" (line {l})")).unwrap_or_default();
            self.check_story(&format!("story file {file}: story {}{line}", i + 1), fields)?;
        }
        Ok(stories)
    }

    /// Imports a story file: all of it, or (on any problem) nothing.
    pub fn import_stories(&mut self, path: &Path) -> Result<StoryImportReport> {
        let stories = self.validate_story_file(path)?;
        let (added, updated) = self.storage().import_stories(&stories)?;
        Ok(StoryImportReport { added, updated })
    }

    /// Every story in the file format.
    pub fn stories_toml(&self) -> Result<String> {
        let stories: Vec<(String, StoryFields)> = self.stories()?.into_iter().map(|s| (s.uid, s.fields)).collect();
        Ok(stories_to_toml(&stories))
    }

    /// Writes every story to `path` (a temporary file, then a rename; only a regular file is
    /// replaced). Returns how many.
    pub fn export_stories(&self, path: &Path) -> Result<usize> {
        let n = self.stories()?.len();
        let text = self.stories_toml()?;
        let mut out = crate::export::AtomicFile::create(path, true)?;
        std::io::Write::write_all(out.file(), text.as_bytes()).map_err(|e| CoreError::io("write", path, e))?;
        out.commit()?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stories::tests::story;

    fn two_stories(lib: &mut Library) {
        let mut a = story("Nightly batch, ORA-01555", &["ownership", "dive-deep"]);
        a.situation = "Line one\nLine two: \"quoted\" 'single' \\ backslash\n한국어 줄 🎤 שלום".into();
        a.questions = vec!["lp.root-cause-beyond-ticket".into()];
        a.notes = "trailing blank line kept?\n".into();
        lib.add_story(a).expect("a");
        let mut b = story("Unhappy customer", &["customer-obsession"]);
        b.cue_card.clear();
        b.year = None;
        lib.add_story(b).expect("b");
    }

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn an_export_imported_into_another_library_exports_to_the_same_bytes() {
        let (dir, mut lib) = Library::open_temp();
        two_stories(&mut lib);
        let out = dir.path().join("stories.toml");
        assert_eq!(lib.export_stories(&out).expect("export"), 2);
        let first = std::fs::read(&out).expect("read");
        let (_d2, mut other) = Library::open_temp();
        assert_eq!(other.import_stories(&out).expect("import"), StoryImportReport { added: 2, updated: 0 });
        let again = dir.path().join("again.toml");
        other.export_stories(&again).expect("export again");
        assert_eq!(String::from_utf8(std::fs::read(&again).expect("read")).expect("utf8"), String::from_utf8(first).expect("utf8"));
        let a = &other.stories().expect("list")[0];
        assert!(a.fields.situation.contains("한국어 줄 🎤 שלום") && a.fields.situation.contains("\\ backslash"));
        assert_eq!(a.fields.primary, "ownership");
        // Re-importing into the first library updates in place (revisions rise, takes stay).
        assert_eq!(lib.import_stories(&out).expect("re-import"), StoryImportReport { added: 0, updated: 2 });
        assert_eq!(lib.stories().expect("list")[0].revision, 2);
    }

    #[test]
    fn a_hand_written_file_needs_only_a_title_and_principles() {
        let (dir, mut lib) = Library::open_temp();
        let text = "format = 1\n[[stories]]\ntitle = \"Saying no\"\nprinciples = [\"customer-obsession\", \"earn-trust\"]\n\
                    result = \"\"\"\nKept the customer:\n3 renewals\n\"\"\"\n";
        let r = lib.import_stories(&write(dir.path(), "mine.toml", text)).expect("import");
        assert_eq!(r.added, 1);
        let s = &lib.stories().expect("list")[0];
        assert_eq!((s.fields.primary.as_str(), s.fields.result.as_str()), ("customer-obsession", "Kept the customer:\n3 renewals"));
        assert!(is_valid_uid(&s.uid));
    }

    #[test]
    fn malformed_files_are_refused_naming_the_line_or_field_and_nothing_is_changed() {
        let (dir, mut lib) = Library::open_temp();
        two_stories(&mut lib);
        let good = lib.stories_toml().expect("toml");
        let before = good.clone();
        let uid0 = lib.stories().expect("list")[0].uid.clone();
        let second_uid = lib.stories().expect("list")[1].uid.clone();
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("bom.toml", format!("\u{feff}{good}").into_bytes(), "BOM"),
            ("latin1.toml", b"format = 1\n# caf\xe9\n".to_vec(), "line 2: not valid UTF-8"),
            ("syntax.toml", good.replacen("title = ", "title = = ", 1).into_bytes(), "line 7 (title = = \"Nightly batch"),
            ("unknown.toml", good.replacen("title = ", "colour = 1\ntitle = ", 1).into_bytes(), "unknown field `colour`"),
            ("format.toml", good.replacen("format = 1", "format = 2", 1).into_bytes(), "format = 2 is not supported"),
            ("principle.toml", good.replacen("\"ownership\", \"dive-deep\"", "\"ownership\", \"seed\"", 1).into_bytes(), "principles[2]"),
            ("primary.toml", good.replacen("primary = \"ownership\"", "primary = \"frugality\"", 1).into_bytes(), "primary \"frugality\""),
            ("cue.toml", good.replacen("\"undo retention\", ", "", 1).into_bytes(), "cue_card has 2 bullet(s)"),
            ("year.toml", good.replacen("year = 2021", "year = -4", 1).into_bytes(), "year"),
            ("nan.toml", good.replacen("year = 2021", "year = nan", 1).into_bytes(), "year"),
            ("number.toml", good.replacen("\"0 failures in 90 days\"", "\"none\"", 1).into_bytes(), "numbers[1] \"none\" has no digit"),
            ("question.toml", good.replacen("lp.root-cause-beyond-ticket", "lp.nope", 1).into_bytes(), "no question with id \"lp.nope\""),
            ("dupuid.toml", good.replacen(&second_uid, &uid0, 1).into_bytes(), "story 2 (line"),
            ("baduid.toml", good.replacen(&uid0, "../../etc", 1).into_bytes(), "is not a UUID"),
            ("long.toml", good.replacen("I owned the fix.", &"x".repeat(1 << 20), 1).into_bytes(), "task is 1048576 characters"),
            ("title.toml", good.replacen("title = \"Unhappy customer\"", "title = \"\"", 1).into_bytes(), "story 2"),
            ("missing.toml", good.replacen("principles = [\"customer-obsession\"]", "", 1).into_bytes(), "missing field `principles`"),
        ];
        for (name, bytes, expect) in cases {
            let p = dir.path().join(name);
            std::fs::write(&p, &bytes).expect("write");
            let err = lib.import_stories(&p).expect_err(name);
            assert_eq!(err.kind(), "invalid_story", "{name}: {err}");
            let err = err.to_string();
            assert!(err.contains(name) && err.contains(expect), "{name}: {err}");
            assert!(!err.contains('\n') && err.len() < 700, "{name}: one short line: {err}");
        }
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; 9 << 20]).expect("write");
        assert!(lib.import_stories(&big).expect_err("9 MB").to_string().contains("limited to 8 MB"));
        assert_eq!(lib.stories_toml().expect("toml"), before, "nothing changed");
        assert!(lib.stories().expect("list").iter().all(|s| s.revision == 1));
    }

    #[test]
    fn a_bad_story_late_in_a_file_leaves_the_good_ones_before_it_unwritten() {
        let (dir, mut lib) = Library::open_temp();
        let text = "format = 1\n[[stories]]\ntitle = \"Good\"\nprinciples = [\"ownership\"]\n\
                    [[stories]]\ntitle = \"Bad\"\nprinciples = [\"ownership\"]\ncue_card = [\"one\"]\n";
        let e = lib.import_stories(&write(dir.path(), "half.toml", text)).expect_err("refused").to_string();
        assert!(e.contains("story 2 (line 5, \"Bad\"): cue_card has 1 bullet(s)"), "{e}");
        assert!(lib.stories().expect("list").is_empty());
    }
}
