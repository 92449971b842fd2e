//! Where the `data` volume is mounted (issue 9 §8): `/app/data`, unless the
//! project's own `data/` folder is a Python package the code imports
//! (`from data.loader import load`). A volume over it would hide that code
//! at run time
//! (Compose copies the image's files into a new named volume once, then
//! runs that stale copy; a Kubernetes claim or a Slurm bind shows none of
//! it), so the volume moves to a folder the image keeps nothing in. Pure.

use super::origin::Explanation;
use super::types::{APP_DIR, DATA_DIR};
use crate::facts::ProjectScan;

/// Folders the volume may move to, in order of preference.
const ALTERNATIVES: &[&str] = &["datasets", "data_volume", "mlcontain_data"];

/// The data volume's mount point, with the explanation when it moves.
pub fn data_dir(scan: &ProjectScan, ex: &mut Vec<Explanation>) -> String {
    let code = &scan.code;
    let rel = DATA_DIR
        .strip_prefix(&format!("{APP_DIR}/"))
        .unwrap_or("data");
    let under = |dir: &str, f: &str| f.starts_with(&format!("{dir}/"));
    let py_under = |dir: &str| -> Vec<&str> {
        code.files
            .iter()
            .filter(|f| under(dir, f) && f.ends_with(".py"))
            .map(String::as_str)
            .collect()
    };
    let py = py_under(rel);
    // Scripts alone under data/ (a `prepare.py` that writes its output next
    // to itself) keep the volume there: nothing imports them.
    if py.is_empty() || !code.local_imports.iter().any(|m| m == rel) {
        return DATA_DIR.to_string();
    }
    // The image keeps the Python code and the files the code names: the
    // volume goes where it keeps neither.
    let keeps_files =
        |dir: &str| !py_under(dir).is_empty() || code.context.iter().any(|c| under(dir, &c.path));
    let alt = ALTERNATIVES
        .iter()
        .copied()
        .find(|a| !keeps_files(a))
        .unwrap_or("mlcontain_data");
    let dir = format!("{APP_DIR}/{alt}");
    let shown: Vec<&str> = py.iter().take(3).copied().collect();
    let mut text = format!(
        "the data volume at {dir} (also $DATA_DIR), not {DATA_DIR}: {rel}/ is the project's Python package `{rel}` ({}{}), imported by the code, which a volume there would hide.",
        shown.join(", "),
        if py.len() > shown.len() {
            format!(" and {} more", py.len() - shown.len())
        } else {
            String::new()
        }
    );
    let named: Vec<&crate::facts::code::ContextFile> = code
        .context
        .iter()
        .filter(|c| under(rel, &c.path))
        .collect();
    if !named.is_empty() {
        let list: Vec<String> = named
            .iter()
            .take(3)
            .map(|c| match &c.needed {
                Some(why) => format!("{} ({why})", c.path),
                None => c.path.clone(),
            })
            .collect();
        text.push_str(&format!(
            " The files under {rel}/ the code names stay in the image at {APP_DIR}/{rel}/, where the code reads them: {}{}.",
            list.join(", "),
            if named.len() > list.len() {
                format!(" and {} more", named.len() - list.len())
            } else {
                String::new()
            }
        ));
    }
    ex.push(Explanation {
        topic: "data",
        text,
    });
    dir
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::code::ContextFile;

    fn scan(files: &[&str], named: &[&str]) -> ProjectScan {
        let mut s = ProjectScan::default();
        s.code.local_imports = vec!["data".into()];
        s.code.files = files.iter().map(|f| f.to_string()).collect();
        s.code.python_files = files.iter().filter(|f| f.ends_with(".py")).count();
        s.code.context = named
            .iter()
            .map(|p| ContextFile {
                path: p.to_string(),
                pattern: String::new(),
                needed: Some("train.py names it".into()),
            })
            .collect();
        s
    }

    #[test]
    fn a_data_folder_without_code_keeps_the_volume() {
        let mut ex = vec![];
        let s = scan(&["train.py", "data/train.csv", "data/x/y.json"], &[]);
        assert_eq!(data_dir(&s, &mut ex), "/app/data");
        assert!(ex.is_empty());
    }

    #[test]
    fn a_data_package_moves_the_volume_and_says_what_stays() {
        let mut ex = vec![];
        let s = scan(
            &[
                "train.py",
                "data/__init__.py",
                "data/loader.py",
                "data/train.csv",
            ],
            &["data/train.csv"],
        );
        assert_eq!(data_dir(&s, &mut ex), "/app/datasets");
        let t = &ex[0].text;
        assert!(
            t.contains(
                "data/ is the project's Python package `data` (data/__init__.py, data/loader.py)"
            ),
            "{t}"
        );
        assert!(t.contains("data/train.csv (train.py names it)"), "{t}");
        assert!(t.contains("at /app/data/"), "{t}");
    }

    #[test]
    fn scripts_nothing_imports_keep_the_volume() {
        let mut ex = vec![];
        let mut s = scan(
            &[
                "train.py",
                "data/shakespeare/prepare.py",
                "data/shakespeare/input.txt",
            ],
            &[],
        );
        s.code.local_imports = vec!["model".into()];
        assert_eq!(data_dir(&s, &mut ex), "/app/data");
        assert!(ex.is_empty());
    }

    #[test]
    fn the_volume_skips_folders_the_image_keeps() {
        let mut ex = vec![];
        let s = scan(
            &[
                "data/__init__.py",
                "datasets/__init__.py",
                "data_volume/a.csv",
            ],
            &["data_volume/a.csv"],
        );
        assert_eq!(data_dir(&s, &mut ex), "/app/mlcontain_data");
    }
}
