//! Phase: which package manager. Chosen, the one the project uses, or pip.

use super::origin::{Decision, Origin};
use super::planner::Planner;
use crate::facts::PackageManager;

impl Planner<'_> {
    pub fn package_manager(&mut self) -> Decision<PackageManager> {
        let d = match (
            self.choices.package_manager,
            self.scan().package_manager_hint(),
        ) {
            (Some(p), _) => Decision::new(p, Origin::Chosen),
            (None, Some(p)) => Decision::new(p, Origin::ProjectHint),
            (None, None) => Decision::new(PackageManager::Pip, Origin::Default),
        };
        match d.origin {
            Origin::Default => self.explain(
                "package-manager",
                "pip with requirements.txt",
                &d.origin,
                "works everywhere, no extra tool",
            ),
            Origin::Chosen => self.explain("package-manager", d.value, &d.origin, ""),
            _ => self.explain(
                "package-manager",
                d.value,
                &d.origin,
                "the project already uses it",
            ),
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::{Origin, PackageManager, Planner};
    use crate::catalog::Catalog;
    use crate::choices::Choices;
    use crate::facts::Facts;

    #[test]
    fn chosen_over_the_project_over_pip() {
        let mut f = Facts::default();
        let none = Choices::default();
        let d = Planner::new(Catalog::embedded(), &f, &none).package_manager();
        assert_eq!((d.value, d.origin), (PackageManager::Pip, Origin::Default));
        f.project.uv_lock = true;
        let mut p = Planner::new(Catalog::embedded(), &f, &none);
        let d = p.package_manager();
        assert_eq!(
            (d.value, d.origin),
            (PackageManager::Uv, Origin::ProjectHint)
        );
        assert_eq!(p.explanations[0].text, "uv — the project already uses it.");
        let conda = Choices {
            package_manager: Some(PackageManager::Conda),
            ..Default::default()
        };
        let mut p = Planner::new(Catalog::embedded(), &f, &conda);
        let d = p.package_manager();
        assert_eq!((d.value, d.origin), (PackageManager::Conda, Origin::Chosen));
        assert_eq!(p.explanations[0].text, "conda — chosen.");
    }
}
