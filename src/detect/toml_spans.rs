//! Where the entries of pyproject.toml and Pipfile are: typed serde structs
//! with [`toml::Spanned`], so a pin's or a problem's line comes from the
//! parser's span of that entry, not from searching the text for it.
//!
//! The structs read only what carries a line (dependency lists and tables)
//! and accept any value elsewhere: a table that is not a table or a list
//! that is not a list is no error here (the manifest reader words those),
//! it just has no entries.

use crate::location::line_of;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;
use toml::Spanned;

/// A table of `T`, or nothing when the value is not a table.
#[derive(Debug)]
struct Table<T>(Option<T>);

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Table<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Table<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Table(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Table(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Table(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Table(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Table(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Table(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Table(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// The entries of a list, each with its span; empty when the value is not a list.
#[derive(Debug, Default)]
struct List(Vec<Spanned<IgnoredAny>>);

impl<'de> Deserialize<'de> for List {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = List;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List, A::Error> {
                let mut out = vec![];
                while let Some(item) = seq.next_element::<Spanned<IgnoredAny>>()? {
                    out.push(item);
                }
                Ok(List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<List, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(List(vec![]))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<List, E> {
                Ok(List(vec![]))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<List, E> {
                Ok(List(vec![]))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<List, E> {
                Ok(List(vec![]))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<List, E> {
                Ok(List(vec![]))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<List, E> {
                Ok(List(vec![]))
            }
        }
        d.deserialize_any(V)
    }
}

/// The keys of a table, in order, each with its span; empty when the value
/// is not a table.
#[derive(Debug, Default)]
struct KeyList(Vec<Spanned<String>>);

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t: Table<KeyMap> = Deserialize::deserialize(d)?;
        Ok(KeyList(t.0.map(|m| m.0).unwrap_or_default()))
    }
}

#[derive(Debug, Default)]
struct KeyMap(Vec<Spanned<String>>);

impl<'de> Deserialize<'de> for KeyMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyMap, A::Error> {
                let mut keys = vec![];
                while let Some((k, IgnoredAny)) = map.next_entry::<Spanned<String>, IgnoredAny>()? {
                    keys.push(k);
                }
                Ok(KeyMap(keys))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Debug, Default, Deserialize)]
struct PyProjectDoc {
    #[serde(default)]
    project: Table<ProjectTable>,
    #[serde(default)]
    tool: Table<ToolTable>,
}

#[derive(Debug, Default, Deserialize)]
struct ProjectTable {
    #[serde(default)]
    dependencies: Option<Spanned<List>>,
    #[serde(default, rename = "optional-dependencies")]
    optional_dependencies: KeyList,
}

#[derive(Debug, Default, Deserialize)]
struct ToolTable {
    #[serde(default)]
    poetry: Table<PoetryTable>,
}

#[derive(Debug, Default, Deserialize)]
struct PoetryTable {
    #[serde(default)]
    dependencies: KeyList,
    #[serde(default)]
    extras: KeyList,
    #[serde(default)]
    group: KeyList,
}

#[derive(Debug, Default, Deserialize)]
struct PipfileDoc {
    #[serde(default)]
    packages: KeyList,
}

/// The lines (1-based) of a pyproject.toml's entries that pins and
/// problems name.
#[derive(Debug, Default, PartialEq)]
pub struct PyProjectLines {
    /// Where `project.dependencies` is.
    pub dependencies: Option<usize>,
    /// Each `project.dependencies` entry, in order.
    pub dependency: Vec<usize>,
    /// Each `[tool.poetry.dependencies]` key, as written.
    pub poetry_dependency: Vec<(String, usize)>,
    /// Each `[project.optional-dependencies]` extra.
    pub optional_dependency: Vec<(String, usize)>,
    /// Each `[tool.poetry.extras]` extra.
    pub poetry_extra: Vec<(String, usize)>,
    /// Each `[tool.poetry.group.NAME]` group (its first header).
    pub poetry_group: Vec<(String, usize)>,
}

/// The line of `name` among `keys` (as written).
pub fn line_of_key(keys: &[(String, usize)], name: &str) -> Option<usize> {
    keys.iter().find(|(k, _)| k == name).map(|(_, l)| *l)
}

impl PyProjectLines {
    /// The line of a `[tool.poetry.dependencies]` key.
    pub fn poetry_key(&self, name: &str) -> Option<usize> {
        line_of_key(&self.poetry_dependency, name)
    }
}

fn key_lines(text: &str, keys: KeyList) -> Vec<(String, usize)> {
    keys.0
        .into_iter()
        .map(|k| (k.get_ref().clone(), line_of(text, k.span().start)))
        .collect()
}

/// The entries' lines of a pyproject.toml (nothing for text that is not TOML).
pub fn pyproject_lines(text: &str) -> PyProjectLines {
    let Ok(doc) = toml::from_str::<PyProjectDoc>(text) else {
        return PyProjectLines::default();
    };
    let mut out = PyProjectLines::default();
    if let Some(project) = doc.project.0 {
        if let Some(deps) = project.dependencies {
            out.dependencies = Some(line_of(text, deps.span().start));
            out.dependency = deps
                .get_ref()
                .0
                .iter()
                .map(|d| line_of(text, d.span().start))
                .collect();
        }
        out.optional_dependency = key_lines(text, project.optional_dependencies);
    }
    if let Some(poetry) = doc.tool.0.and_then(|t| t.poetry.0) {
        out.poetry_dependency = key_lines(text, poetry.dependencies);
        out.poetry_extra = key_lines(text, poetry.extras);
        out.poetry_group = key_lines(text, poetry.group);
    }
    out
}

/// The line of each `[packages]` key of a Pipfile, as written.
pub fn pipfile_package_lines(text: &str) -> Vec<(String, usize)> {
    let Ok(doc) = toml::from_str::<PipfileDoc>(text) else {
        return vec![];
    };
    key_lines(text, doc.packages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_from_the_entries_themselves() {
        // The same text earlier (a comment, another table) does not move them.
        let text = "# torch==2.5.1 is what we use\n\
                    [project.optional-dependencies]\n\
                    gpu = [\"torch==2.5.1\"]\n\
                    [project]\n\
                    name = \"x\"\n\
                    dependencies = [\n  \"numpy\",\n  \"torch==2.5.1\",\n]\n\
                    [tool.poetry.group.dev.dependencies]\n\
                    torch = \"*\"\n\
                    [tool.poetry.dependencies]\n\
                    python = \"^3.11\"\n\
                    'torch' = \"2.5.1\"\n";
        let l = pyproject_lines(text);
        assert_eq!(l.dependencies, Some(6));
        assert_eq!(l.dependency, vec![7, 8]);
        assert_eq!(l.poetry_key("python"), Some(13));
        assert_eq!(l.poetry_key("torch"), Some(14));
        assert_eq!(l.poetry_key("numpy"), None);
        assert_eq!(line_of_key(&l.optional_dependency, "gpu"), Some(3));
        assert_eq!(line_of_key(&l.poetry_group, "dev"), Some(10));
        let extras = "[tool.poetry.extras]\ncpu = [\"torch\"]\n\"cuda\" = [\"torch\"]\n";
        let l = pyproject_lines(extras);
        assert_eq!(l.poetry_extra, vec![("cpu".into(), 2), ("cuda".into(), 3)]);
    }

    #[test]
    fn odd_shapes_have_no_entries_and_are_no_error() {
        for text in [
            "project = 1\n",
            "[project]\ndependencies = \"torch\"\n",
            "[project]\ndependencies = { a = 1 }\n",
            "tool = [1]\n",
            "[tool]\npoetry = true\n",
            "[tool.poetry]\ndependencies = [1]\n",
            "not toml [",
        ] {
            let l = pyproject_lines(text);
            assert!(
                l.dependency.is_empty() && l.poetry_dependency.is_empty(),
                "{text}"
            );
        }
        // An entry that is not a string still has its line.
        let l = pyproject_lines("[project]\ndependencies = [\n  1,\n  \"x\"\n]\n");
        assert_eq!(l.dependency, vec![3, 4]);
    }

    #[test]
    fn pipfile_packages() {
        let text =
            "[dev-packages]\ntorch = \"*\"\n\n[packages]\nnumpy = \"*\"\ntorch = \"==2.5.1\"\n";
        assert_eq!(
            pipfile_package_lines(text),
            vec![("numpy".to_string(), 5), ("torch".to_string(), 6)]
        );
        assert!(pipfile_package_lines("packages = 3\n").is_empty());
    }
}
