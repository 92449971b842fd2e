//! The wizard's keys: one table ([`KEYMAP`]) that the key handling
//! ([`action`]), the footer ([`footer`]), the `?` help and README's key list
//! ([`markdown`], checked by a test) are all made from.
//!
//! One rule on top of the table: while the cursor is in a text field, plain
//! characters are typed into it; every other key (arrows, Enter, Esc, Tab,
//! Ctrl-…) keeps its action.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key does. The meaning of a movement depends on the pane and the
/// question (see `App::act`); the table says which key is which action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    Choose,
    Toggle,
    Back,
    NextPane,
    PrevPane,
    PrevFile,
    NextFile,
    Diff,
    Zoom,
    Host,
    Review,
    Write,
    WriteBuild,
    ClearInput,
    Help,
    Quit,
    Suspend,
}

/// A key as the table names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Code(KeyCode),
    /// A plain character (typed into a text field instead, when in one).
    Char(char),
    Ctrl(char),
}

impl Key {
    pub fn name(self) -> String {
        match self {
            Key::Char(' ') => "Space".into(),
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{}", c.to_ascii_uppercase()),
            Key::Code(c) => match c {
                KeyCode::Up => "↑".into(),
                KeyCode::Down => "↓".into(),
                KeyCode::Left => "←".into(),
                KeyCode::Right => "→".into(),
                KeyCode::Enter => "Enter".into(),
                KeyCode::Esc => "Esc".into(),
                KeyCode::Tab => "Tab".into(),
                KeyCode::BackTab => "Shift-Tab".into(),
                KeyCode::PageUp => "PgUp".into(),
                KeyCode::PageDown => "PgDn".into(),
                KeyCode::Home => "Home".into(),
                KeyCode::End => "End".into(),
                other => format!("{other:?}"),
            },
        }
    }

    fn matches(self, k: &KeyEvent) -> bool {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let alt = k.modifiers.contains(KeyModifiers::ALT);
        match self {
            Key::Code(c) => k.code == c && !ctrl && !alt,
            Key::Char(c) => k.code == KeyCode::Char(c) && !ctrl && !alt,
            Key::Ctrl(c) => {
                ctrl && matches!(k.code, KeyCode::Char(x) if x.eq_ignore_ascii_case(&c))
            }
        }
    }
}

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everywhere.
    Any,
    /// On the Review step (the form pane).
    Review,
    /// In a text field.
    Text,
}

/// Where the wizard is, for choosing the binding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The cursor is in a text field of the form.
    pub typing: bool,
    /// The Review step is shown.
    pub review: bool,
}

impl Scope {
    fn applies(self, cx: Context) -> bool {
        match self {
            Scope::Any => true,
            Scope::Review => cx.review,
            Scope::Text => cx.typing,
        }
    }
}

pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    pub scope: Scope,
    /// In the footer as (keys, what), or not at all.
    pub footer: Option<(&'static str, &'static str)>,
    /// The `?` help's line.
    pub help: &'static str,
}

const fn b(
    keys: &'static [Key],
    action: Action,
    scope: Scope,
    footer: Option<(&'static str, &'static str)>,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        action,
        scope,
        footer,
        help,
    }
}

use Key::{Char, Code, Ctrl};

/// Every key of the wizard, in help order. The footer shows the entries with
/// a footer label that apply, in this order, as many as fit.
pub const KEYMAP: &[Binding] = &[
    b(
        &[Code(KeyCode::Up), Char('k')],
        Action::Up,
        Scope::Any,
        None,
        "move up; scroll up (host facts, preview, Why)",
    ),
    b(
        &[Code(KeyCode::Down), Char('j')],
        Action::Down,
        Scope::Any,
        Some(("↑↓", "move")),
        "move down; scroll down",
    ),
    b(
        &[Code(KeyCode::Enter)],
        Action::Choose,
        Scope::Any,
        Some(("Enter", "choose")),
        "choose / accept and go on; in Review: the row's action",
    ),
    b(
        &[Code(KeyCode::Esc)],
        Action::Back,
        Scope::Any,
        Some(("Esc", "back")),
        "back a question (a text field: undo first); leave a pane, the zoom",
    ),
    b(
        &[Code(KeyCode::Left), Char('h')],
        Action::Left,
        Scope::Any,
        None,
        "previous question; in the preview: previous file",
    ),
    b(
        &[Code(KeyCode::Right), Char('l')],
        Action::Right,
        Scope::Any,
        None,
        "next question; in the preview: next file",
    ),
    b(
        &[Char('r'), Ctrl('r')],
        Action::Review,
        Scope::Any,
        Some(("r", "review")),
        "straight to Review: the planner's defaults for every other answer",
    ),
    b(
        &[Char('w')],
        Action::Write,
        Scope::Review,
        Some(("w", "write")),
        "in Review: write the files",
    ),
    b(
        &[Char('b')],
        Action::WriteBuild,
        Scope::Review,
        Some(("b", "build")),
        "in Review: write the files and build the images",
    ),
    b(
        &[Char(' ')],
        Action::Toggle,
        Scope::Any,
        None,
        "toggle (a stage; in Review: replace a changed file)",
    ),
    b(
        &[Code(KeyCode::Tab)],
        Action::NextPane,
        Scope::Any,
        Some(("Tab", "pane")),
        "next pane: form, preview, Why, steps",
    ),
    b(
        &[Code(KeyCode::BackTab)],
        Action::PrevPane,
        Scope::Any,
        None,
        "previous pane",
    ),
    b(
        &[Char('[')],
        Action::PrevFile,
        Scope::Any,
        None,
        "previous file in the preview",
    ),
    b(
        &[Char(']')],
        Action::NextFile,
        Scope::Any,
        Some(("[]", "file")),
        "next file in the preview",
    ),
    b(
        &[Char('d')],
        Action::Diff,
        Scope::Any,
        Some(("d", "diff")),
        "diff against the file on disk / the whole file",
    ),
    b(
        &[Char('z')],
        Action::Zoom,
        Scope::Any,
        Some(("z", "zoom")),
        "zoom the preview to the whole screen; again: wrap long lines; again: back",
    ),
    b(
        &[Code(KeyCode::PageUp)],
        Action::PageUp,
        Scope::Any,
        None,
        "page up in the preview (the wheel scrolls too)",
    ),
    b(
        &[Code(KeyCode::PageDown)],
        Action::PageDown,
        Scope::Any,
        None,
        "page down in the preview",
    ),
    b(
        &[Code(KeyCode::Home), Char('g')],
        Action::Home,
        Scope::Any,
        None,
        "first option / top of the preview",
    ),
    b(
        &[Code(KeyCode::End), Char('G')],
        Action::End,
        Scope::Any,
        None,
        "last option / end of the preview",
    ),
    b(
        &[Char('i')],
        Action::Host,
        Scope::Any,
        Some(("i", "host")),
        "the host and project facts (any width)",
    ),
    b(
        &[Ctrl('u')],
        Action::ClearInput,
        Scope::Text,
        None,
        "in a text field: clear it",
    ),
    b(
        &[Char('?')],
        Action::Help,
        Scope::Any,
        Some(("?", "help")),
        "this help (↑↓ scroll, any other key closes)",
    ),
    b(
        &[Char('q'), Ctrl('c')],
        Action::Quit,
        Scope::Any,
        Some(("q", "quit")),
        "quit, writing nothing (asks first when you changed something)",
    ),
    b(
        &[Ctrl('z')],
        Action::Suspend,
        Scope::Any,
        None,
        "suspend to the shell (`fg` resumes)",
    ),
];

/// The action of key `k` here, if any. In a text field a plain character
/// is typed, so it has none.
pub fn action(k: &KeyEvent, cx: Context) -> Option<Action> {
    KEYMAP
        .iter()
        .filter(|b| b.scope.applies(cx))
        .find(|b| {
            b.keys
                .iter()
                .any(|key| key.matches(k) && !(cx.typing && matches!(key, Char(_))))
        })
        .map(|b| b.action)
}

/// The keys bound to `a` (for messages such as "press r").
pub fn keys_of(a: Action) -> String {
    KEYMAP
        .iter()
        .find(|b| b.action == a)
        .map(|b| {
            b.keys
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join("/")
        })
        .unwrap_or_default()
}

/// The footer's (keys, what) pairs that apply here, in table order. While
/// typing, a binding shows its non-letter keys (Ctrl-C for quit), or none.
pub fn footer(cx: Context) -> Vec<(String, &'static str)> {
    KEYMAP
        .iter()
        .filter(|b| b.scope.applies(cx))
        .filter_map(|b| {
            let (keys, what) = b.footer?;
            if !cx.typing || !b.keys.iter().any(|k| matches!(k, Char(_))) {
                return Some((keys.to_string(), what));
            }
            let other: Vec<String> = b
                .keys
                .iter()
                .filter(|k| !matches!(k, Char(_)))
                .map(|k| k.name())
                .collect();
            (!other.is_empty()).then(|| (other.join("/"), what))
        })
        .collect()
}

/// The `?` help: (keys, what) per binding.
pub fn help() -> Vec<(String, &'static str)> {
    KEYMAP
        .iter()
        .map(|b| {
            let keys: Vec<String> = b.keys.iter().map(|k| k.name()).collect();
            (keys.join(" "), b.help)
        })
        .collect()
}

/// README's key table (a test checks README holds exactly this).
pub fn markdown() -> String {
    let mut o = String::from("| Keys | What they do |\n|---|---|\n");
    for (keys, what) in help() {
        let keys: Vec<String> = keys
            .split(' ')
            .map(|k| format!("`{}`", k.replace('|', "\\|")))
            .collect();
        o.push_str(&format!("| {} | {} |\n", keys.join(" "), what));
    }
    o.push_str(
        "\nIn a text field, letters are typed into it; the other keys keep their meaning.\n",
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn no_key_is_bound_twice_in_one_scope() {
        for (i, a) in KEYMAP.iter().enumerate() {
            for b in &KEYMAP[i + 1..] {
                let overlap = a.scope == b.scope || a.scope == Scope::Any || b.scope == Scope::Any;
                for k in a.keys {
                    assert!(
                        !(overlap && b.keys.contains(k)),
                        "{} bound to {:?} and {:?}",
                        k.name(),
                        a.action,
                        b.action
                    );
                }
            }
        }
    }

    #[test]
    fn letters_are_typed_in_text_fields() {
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(action(&q, Context::default()), Some(Action::Quit));
        let typing = Context {
            typing: true,
            review: false,
        };
        assert_eq!(action(&q, typing), None);
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action(&ctrl_c, typing), Some(Action::Quit));
        let enter = key(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(action(&enter, typing), Some(Action::Choose));
        let w = key(KeyCode::Char('w'), KeyModifiers::NONE);
        assert_eq!(action(&w, Context::default()), None, "w only in Review");
        let review = Context {
            typing: false,
            review: true,
        };
        assert_eq!(action(&w, review), Some(Action::Write));
    }

    #[test]
    fn footer_and_help_come_from_the_table() {
        let has = |f: &[(String, &str)], k: &str, w: &str| f.iter().any(|(a, b)| a == k && *b == w);
        let f = footer(Context::default());
        assert!(has(&f, "r", "review") && !has(&f, "w", "write"));
        let typing = footer(Context {
            typing: true,
            review: false,
        });
        assert!(!has(&typing, "q", "quit"), "q is typed there");
        assert!(has(&typing, "Ctrl-C", "quit"));
        assert!(has(&typing, "Ctrl-R", "review"));
        assert_eq!(help().len(), KEYMAP.len());
    }
}
