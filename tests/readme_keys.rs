//! README's key table is the wizard's keymap (tui::keymap), word for word.

#[test]
fn readme_lists_the_keymap() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let begin = "<!-- keys:begin -->\n";
    let end = "<!-- keys:end -->";
    let a = readme
        .find(begin)
        .expect("README has the keys:begin marker")
        + begin.len();
    let b = readme[a..]
        .find(end)
        .expect("README has the keys:end marker")
        + a;
    let want = mlcontain::tui::keymap::markdown();
    if std::env::var_os("MLCONTAIN_UPDATE_README").is_some() {
        let updated = format!("{}{}{}", &readme[..a], want, &readme[b..]);
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"), updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[a..b],
        want,
        "README's key table differs from the keymap; rerun with MLCONTAIN_UPDATE_README=1"
    );
}
