//! Render time for the whole file set (target ≤ 1 ms): plan + render, and
//! render alone, for a fresh repository on an H100 host.

use criterion::{criterion_group, criterion_main, Criterion};
use mlcontain::choices::Choices;
use mlcontain::plan::plan;
use mlcontain::render::render;
use mlcontain::scenarios;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let facts = scenarios::h100_535();
    let choices = Choices::default();
    let p = plan(&facts, &choices).unwrap();
    c.bench_function("render whole file set", |b| {
        b.iter(|| render(black_box(&p)))
    });
    c.bench_function("plan + render", |b| {
        b.iter(|| render(&plan(black_box(&facts), black_box(&choices)).unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
