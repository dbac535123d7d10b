//! Shared set-up for the native integration tests: the fixture catalog
//! published into an in-memory KV, and an `Edge` over the fakes.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use tailor_edge::catalog::source::Bundle;
use tailor_edge::config::Config;
use tailor_edge::edge::{Edge, Isolate, Prepared};
use tailor_edge::platform::fakes::{
    FakeGenerator, FakeSanitizer, ManualClock, MemoryCache, MemoryKv, MemoryPlatform,
};
use tailor_edge::platform::Clock;
use tailor_edge::route::Request;
use tailor_edge::targeting::NativeRegex;

pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn bundle() -> Bundle {
    Bundle::from_source(&fixture("catalog.json"), |f| Err(format!("no file {f}"))).unwrap()
}

pub fn published_kv() -> MemoryKv {
    MemoryKv::with_entries(bundle().kv_entries())
}

/// A GET of `path` (and query) on the test site, with no headers.
pub fn get(path: &str) -> Request {
    Request::new("GET", &format!("https://shop.example{path}"))
}

/// One isolate's worth of state over the fakes. `platform`'s handles share
/// their stores with the fields here, so a test sees what the core did.
pub struct World {
    pub config: Config,
    pub isolate: Isolate,
    pub platform: MemoryPlatform,
    pub kv: MemoryKv,
    pub clock: ManualClock,
    pub cache: MemoryCache,
    pub generator: Option<FakeGenerator>,
    pub sanitizer: FakeSanitizer,
}

impl World {
    pub fn new(kv: MemoryKv) -> Self {
        let config = Config {
            site: Some("shop".into()),
            catalog_refresh_ms: 0,
            ..Config::default()
        };
        let platform = MemoryPlatform::new(kv, &NativeRegex);
        Self {
            config,
            isolate: Isolate::new(),
            kv: platform.kv.clone(),
            clock: platform.clock.clone(),
            cache: platform.cache.clone(),
            generator: None,
            sanitizer: platform.sanitizer.clone(),
            platform,
        }
    }

    /// What the worker does with the origin's page `html` for `prepared`:
    /// the disposition, the body rewritten by the native engine, the
    /// exposures of the blocks it filled; then the work after the
    /// response. Returns the body served.
    pub fn serve_page(&self, req: &Request, prepared: Prepared, html: &str) -> String {
        use tailor_edge::edge::Disposition;
        use tailor_edge::platform::fakes::MemoryResponse;
        let edge = self.edge();
        let (disposition, pending) = edge.respond(req, prepared, &MemoryResponse::html(html));
        let body = match disposition {
            Disposition::Rewrite { plan, .. } => {
                let (body, filled) =
                    tailor_edge::rewrite::native::rewrite_reporting(&plan, html.as_bytes()).unwrap();
                edge.expose(pending, std::future::ready(filled));
                String::from_utf8(body).unwrap()
            }
            _ => html.to_owned(),
        };
        self.finish_background();
        body
    }

    /// Runs the work left for after the response (cache writes, late generator calls).
    pub fn finish_background(&self) {
        for task in self.platform.tasks.take() {
            futures_executor::block_on(task);
        }
    }

    pub fn edge(&self) -> Edge<'_, MemoryPlatform> {
        // From the fields, so a test may swap one (another isolate, same cache).
        let mut platform = self.platform.clone();
        platform.kv = self.kv.clone();
        platform.clock = self.clock.clone();
        platform.cache = self.cache.clone();
        platform.generator = self.generator.clone();
        platform.sanitizer = self.sanitizer.clone();
        Edge::new(&self.config, &self.isolate, platform)
    }

    pub fn prepare(&self, path: &str) -> Prepared {
        self.prepare_for(&get(path))
    }

    pub fn prepare_for(&self, req: &Request) -> Prepared {
        futures_executor::block_on(self.edge().prepare(req, self.clock.now_ms()))
    }
}

/// The demo catalog (`catalog/demo.json` and its fragment files), published.
pub fn demo_kv() -> MemoryKv {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
    let source = std::fs::read_to_string(dir.join("demo.json")).unwrap();
    let bundle = Bundle::from_source(&source, |f| {
        std::fs::read_to_string(dir.join(f)).map_err(|e| e.to_string())
    })
    .unwrap();
    MemoryKv::with_entries(bundle.kv_entries())
}

impl World {
    /// What an endpoint of ours answers `req` (with `body`, when its route reads one).
    pub fn call(&self, req: &Request, body: Option<&str>) -> tailor_edge::http::Response {
        let route = tailor_edge::route::route(&req.method, req.path(), || false);
        let body = route.body_limit().and(body).map(str::to_owned);
        futures_executor::block_on(self.edge().endpoint(&route, req, body))
    }
}

/// The demo site over the fakes: its catalog, signals and the edge's id
/// kept (one secret), events sent, consent by default as `consent_default`
/// (`TAILOR_CONSENT_DEFAULT`).
pub fn demo_world(consent_default: &str) -> World {
    use tailor_edge::profile::{Key, Purpose};
    const SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    let mut world = World::new(demo_kv());
    world.config.site = Some("demo".into());
    world.config.state_key = Some(Key::derive("s1", SECRET, Purpose::EdgeState).unwrap());
    world.config.id_key = Some(Key::derive("id", SECRET, Purpose::EdgeId).unwrap());
    world.config.profile.consent.default = tailor_edge::consent::DefaultRule::parse(consent_default).unwrap();
    world.platform.events = Some(tailor_edge::platform::fakes::MemoryEvents::new());
    world
}

/// The `name=value` of the cookie `name` among `Set-Cookie` values.
pub fn set_cookie_pair(set_cookies: &[String], name: &str) -> Option<String> {
    set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
}

/// `world` with profile cookies signed by `k1:secret` accepted and a fake
/// generator giving `answer`.
pub fn with_generator(
    mut world: World,
    secret: &str,
    answer: tailor_edge::platform::fakes::FakeAnswer,
) -> World {
    use tailor_edge::profile::{KeyRing, Purpose};
    world.config.profile.keys = KeyRing::parse(&format!("k1:{secret}"), Purpose::ProfileCookie).0;
    world.generator = Some(FakeGenerator::answering(answer));
    world
}

/// A `Cookie` header with a profile cookie signed by `k1:secret`, valid
/// now on `world`'s clock, consenting to both purposes, with the segment
/// labels of `fields` (`industry`, `role`).
pub fn segment_cookie(world: &World, secret: &str, fields: &[(&str, &str)]) -> String {
    use tailor_edge::profile::{sign, Key, Profile, Purpose};
    let key = Key::derive("k1", secret, Purpose::ProfileCookie).unwrap();
    let now = (world.clock.now_ms() / 1000.0) as u64;
    let mut profile = Profile {
        i: now - 10,
        e: now + 3600,
        c: "pa".into(),
        ..Profile::default()
    };
    for (name, value) in fields {
        match *name {
            "industry" => profile.ind = Some((*value).into()),
            "role" => profile.role = Some((*value).into()),
            other => panic!("segment_cookie: no label {other}"),
        }
    }
    format!(
        "__Host-tailor_profile={}",
        sign(&profile, &key, "__Host-tailor_profile").unwrap()
    )
}
