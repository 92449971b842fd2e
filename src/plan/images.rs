//! Phase: how CUDA reaches the container and which base images: the
//! framework's CUDA wheels on a slim Python image, nvidia/cuda images for
//! system CUDA (their Ubuntu brings Python), or conda's images.

use super::accelerator::Selection;
use super::planner::{list, Planner};
use super::types::{CudaPlan, CudaStrategy, Images, PlanError, PythonSource};
use crate::catalog::{Build, CudaToolkit, Framework};
use crate::choices::Accel;
use crate::facts::PackageManager;
use crate::version::Version;

/// What the images phase decides.
pub struct ImagePlan {
    pub cuda: Option<CudaPlan>,
    pub python: Version,
    pub python_source: PythonSource,
    pub images: Images,
}

/// Image references are written into FROM lines: allow only reference characters.
pub fn validate_image(image: &str) -> Result<(), PlanError> {
    let ok = !image.is_empty()
        && image.len() <= 255
        && image
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c))
        && !image.starts_with(['-', '/', ':'])
        && !image.ends_with([':', '/']);
    if ok {
        Ok(())
    } else {
        Err(PlanError::Invalid {
            what: "image reference",
            value: image.to_string(),
            why: "use the form [registry/]name[:tag][@digest] (letters, digits, . _ - / : @)"
                .into(),
        })
    }
}

impl<'a> Planner<'a> {
    pub fn images(
        &mut self,
        fw: &Framework,
        sel: &Selection,
        pm: PackageManager,
        python: Version,
    ) -> Result<ImagePlan, PlanError> {
        let mut out = ImagePlan {
            cuda: None,
            python,
            python_source: PythonSource::Image,
            images: Images {
                builder: String::new(),
                runtime: String::new(),
                builder_from_base: true,
            },
        };
        let mut toolkit = None;
        match (&sel.accel.value, sel.build) {
            (Accel::Cpu, _) => {}
            (Accel::Cuda(v), Some(b)) => out.cuda = Some(self.wheel_cuda(v, b)),
            // The conda environment or an unknown pinned release brings CUDA.
            (Accel::Cuda(v), None) if !fw.is_none() => {
                let min_driver = self
                    .cat
                    .major_min_driver(v.major())
                    .cloned()
                    .unwrap_or_else(|| Version::new(&[0]));
                out.cuda = Some(CudaPlan {
                    version: v.clone(),
                    tag: sel.conda_cuda.as_ref().map(|c| c.package.clone()),
                    strategy: CudaStrategy::Wheels,
                    require_cuda: format!("cuda>={}.0", v.major()),
                    min_driver,
                });
            }
            (Accel::Cuda(v), None) => {
                let tk = self.system_cuda(v, &mut out)?;
                toolkit = Some(tk);
            }
        }
        out.images = self.base_images(toolkit, pm, &mut out);
        self.explain_images(fw, pm, &out);
        if let Some(b) = &self.choices.base_image {
            validate_image(b)?;
            out.images.runtime = b.clone();
            if out.images.builder_from_base {
                out.images.builder = b.clone();
            }
            self.note(
                "base-image",
                format!("{b} — set by you (a private registry or mirror)."),
            );
        }
        if let Some(r) = &self.choices.registry {
            validate_image(&format!("{}/x", r.trim_end_matches('/')))?;
        }
        Ok(out)
    }

    fn registry(&self, img: String) -> String {
        match &self.choices.registry {
            Some(r) if !r.trim().is_empty() => format!("{}/{}", r.trim_end_matches('/'), img),
            _ => img,
        }
    }

    /// CUDA from the framework's wheels.
    fn wheel_cuda(&self, v: &Version, b: &Build) -> CudaPlan {
        let min_driver = self
            .cat
            .major_min_driver(v.major())
            .cloned()
            .unwrap_or_else(|| Version::new(&[0]));
        CudaPlan {
            version: v.clone(),
            tag: Some(b.tag.clone()),
            strategy: CudaStrategy::Wheels,
            require_cuda: format!("cuda>={}.0", v.major()),
            min_driver,
        }
    }

    /// System CUDA from nvidia/cuda images (plain Python projects): the
    /// host must run the toolkit; Python comes from the image's Ubuntu.
    fn system_cuda(
        &mut self,
        v: &Version,
        out: &mut ImagePlan,
    ) -> Result<&'a CudaToolkit, PlanError> {
        let cat = self.cat;
        let tk = cat.toolkit(v).ok_or_else(|| {
            PlanError::Unsupported(format!(
                "CUDA {v} has no nvidia/cuda images in the catalog (valid: cpu, {})",
                list(cat.cuda.iter().map(|t| &t.version))
            ))
        })?;
        for problem in self.compat.toolkit_problems(tk) {
            self.refuse(problem)?;
        }
        let ubuntu = match &self.choices.python {
            Some(p) => tk
                .ubuntu
                .iter()
                .rev()
                .find(|u| cat.ubuntu_python.get(*u) == Some(p))
                .ok_or_else(|| {
                    let offered = tk.ubuntu.iter().map(|u| {
                        let py = cat.ubuntu_python.get(u).map(|p| p.to_string());
                        format!("Ubuntu {u} (Python {})", py.unwrap_or_default())
                    });
                    PlanError::Unsupported(format!(
                        "nvidia/cuda {} images ship {}; choose one of these Pythons",
                        tk.image,
                        list(offered)
                    ))
                })?
                .clone(),
            None => tk.ubuntu.last().cloned().unwrap_or_default(),
        };
        if let Some(p) = cat.ubuntu_python.get(&ubuntu) {
            out.python = p.clone();
        }
        out.python_source = PythonSource::Apt;
        self.note(
            "base-image",
            format!(
                "nvidia/cuda {} on Ubuntu {ubuntu}: the runtime image in the final stage, the devel image (nvcc) only in the builder; Python {} comes from Ubuntu.",
                tk.image, out.python
            ),
        );
        out.cuda = Some(CudaPlan {
            version: tk.version.clone(),
            tag: None,
            strategy: CudaStrategy::System,
            min_driver: tk.min_driver.clone(),
            require_cuda: format!("cuda>={}", tk.version),
        });
        Ok(tk)
    }

    fn base_images(
        &self,
        toolkit: Option<&CudaToolkit>,
        pm: PackageManager,
        out: &mut ImagePlan,
    ) -> Images {
        let cat = self.cat;
        match (toolkit, pm) {
            (_, PackageManager::Conda) => {
                out.python_source = PythonSource::Conda;
                Images {
                    builder: self.registry(cat.images.conda_builder.clone()),
                    runtime: self.registry(cat.images.conda_runtime.clone()),
                    builder_from_base: false,
                }
            }
            (Some(tk), _) => {
                let ubuntu = cat
                    .ubuntu_python
                    .iter()
                    .filter(|(u, p)| **p == out.python && tk.ubuntu.contains(u))
                    .map(|(u, _)| u.clone())
                    .next_back()
                    .unwrap_or_default();
                Images {
                    builder: self.registry(cat.cuda_image(tk, "devel", false, &ubuntu)),
                    runtime: self.registry(cat.cuda_image(tk, "runtime", false, &ubuntu)),
                    builder_from_base: false,
                }
            }
            (None, _) => {
                let img = self.registry(cat.python_image(&out.python));
                Images {
                    builder: img.clone(),
                    runtime: img,
                    builder_from_base: true,
                }
            }
        }
    }

    fn explain_images(&mut self, fw: &Framework, pm: PackageManager, out: &ImagePlan) {
        match &out.cuda {
            Some(c) if c.strategy == CudaStrategy::Wheels => self.note(
                "base-image",
                format!(
                    "{} — {}'s {} wheels bundle the CUDA libraries, so the image adds no second copy of CUDA; the NVIDIA Container Toolkit mounts the host driver (≥ {}) at run time.",
                    out.images.runtime,
                    fw.name,
                    c.tag.as_deref().unwrap_or(""),
                    c.min_driver
                ),
            ),
            Some(_) => {}
            None if pm != PackageManager::Conda => self.note(
                "base-image",
                format!("{} — the official slim Python image.", out.images.runtime),
            ),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::validate_image;

    #[test]
    fn image_references_are_checked() {
        for ok in ["python:3.12-slim", "reg.example:5000/team/img@sha256:abc"] {
            assert!(validate_image(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-x", "a b", "img:", "a\nFROM evil", "x/"] {
            assert!(validate_image(bad).is_err(), "{bad:?}");
        }
    }
}
