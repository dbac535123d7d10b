//! `tailor init`, run as a team would run it: the files it writes, that it
//! never overwrites unasked, that its catalog validates, that bad `--site`
//! and `--route` values are refused with the reason. (That wrangler deploys
//! what it writes is `make deploy-check`'s part.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TAILOR: &str = env!("CARGO_BIN_EXE_tailor");

/// A fresh empty folder under target/, removed first if a run left one.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("init").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| unreachable!("{}: {e}", dir.display()));
    dir
}

fn tailor(args: &[&str], dir: &Path) -> Output {
    Command::new(TAILOR)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| unreachable!("{TAILOR}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| unreachable!("{}: {e}", path.display()))
}

/// A stand-in for the Tailor build, so that `main` names files that exist.
fn fake_build(dir: &Path) -> PathBuf {
    let build = dir.join("build");
    for file in ["worker/entry.mjs", "control/worker/shim.mjs"] {
        let path = build.join(file);
        std::fs::create_dir_all(path.parent().unwrap_or(&build)).unwrap_or_else(|e| unreachable!("{e}"));
        std::fs::write(&path, "export default {}\n").unwrap_or_else(|e| unreachable!("{e}"));
    }
    build
}

#[test]
fn writes_both_configs_and_a_catalog_that_validates() {
    let dir = scratch("writes");
    let build = fake_build(&dir);
    let site = dir.join("site");
    let out = tailor(
        &[
            "init",
            "site",
            "--site",
            "acme",
            "--route",
            "www.acme.example/*",
            "--build-dir",
            &build.display().to_string(),
        ],
        &dir,
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}{}", stdout, text(&out.stderr));

    let page = read(&site.join("wrangler.toml"));
    let control = read(&site.join("control/wrangler.toml"));
    let build = build.canonicalize().unwrap_or_else(|e| unreachable!("{e}"));
    assert!(page.contains(&format!("main = \"{}/worker/entry.mjs\"", build.display())));
    assert!(control.contains(&format!("main = \"{}/control/worker/shim.mjs\"", build.display())));
    assert!(page.contains(r#"routes = [{ pattern = "www.acme.example/*", zone_name = "acme.example" }]"#));
    assert!(page.contains(r#"TAILOR_SITE = "acme""#) && control.contains(r#"TAILOR_SITE = "acme""#));
    assert!(page.contains(r#"TAILOR_PREVIEW = "off""#));
    assert!(page.contains(r#"service = "tailor-acme-control-production""#));
    // Production fetches from the zone's origin: no demo origin of any kind.
    for absent in ["assets]", "\"ASSETS\"", "ORIGIN_URL =", "[build]"] {
        assert!(!page.contains(absent), "wrangler.toml holds {absent}");
    }
    // Bindings are not inherited by wrangler environments: all are in [env.production].
    for binding in ["kv_namespaces", "ratelimits", "queues.producers", "services"] {
        assert!(
            page.contains(&format!("[[env.production.{binding}]]")),
            "{binding}"
        );
    }
    for binding in ["kv_namespaces", "queues.consumers", "d1_databases"] {
        assert!(
            control.contains(&format!("[[env.production.{binding}]]")),
            "{binding}"
        );
    }

    // Every secret the workers read is listed, with the command that sets it.
    for secret in ["TAILOR_PROFILE_KEYS", "TAILOR_STATE_KEY", "TAILOR_PREVIEW_KEY"] {
        assert!(
            stdout.contains(&format!("wrangler secret put {secret} --env production")),
            "{secret}"
        );
    }
    assert!(stdout
        .contains("wrangler secret put TAILOR_PUBLISH_SECRETS -c control/wrangler.toml --env production"));
    assert!(stdout.contains("wrangler kv namespace create tailor-acme-catalog"));
    assert!(stdout.contains("tailor catalog push catalog.json --to https://www.acme.example"));
    assert!(!stdout.contains("warning"), "{stdout}");

    let validate = tailor(&["catalog", "validate", "site/catalog.json"], &dir);
    assert!(validate.status.success(), "{}", text(&validate.stderr));
    assert!(text(&validate.stdout).contains("valid: site `acme`, 1 blocks, 2 fragments"));
}

#[test]
fn refuses_to_overwrite_unless_forced() {
    let dir = scratch("overwrite");
    let build = fake_build(&dir);
    let build = build.display().to_string();
    std::fs::write(dir.join("catalog.json"), "{\"mine\": true}\n").unwrap_or_else(|e| unreachable!("{e}"));
    let args = [
        "init",
        "--site",
        "acme",
        "--route",
        "acme.example/*",
        "--build-dir",
        &build,
    ];

    let out = tailor(&args, &dir);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("catalog.json") && stderr.contains("--force"),
        "{stderr}"
    );
    // Nothing at all was written, not even the files that were missing.
    assert!(!dir.join("wrangler.toml").exists() && !dir.join("control").exists());
    assert_eq!(read(&dir.join("catalog.json")), "{\"mine\": true}\n");

    let mut forced = args.to_vec();
    forced.push("--force");
    let out = tailor(&forced, &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(read(&dir.join("catalog.json")).contains("\"site\": \"acme\""));
    assert!(dir.join("wrangler.toml").exists());
}

#[test]
fn warns_when_the_workers_are_not_built() {
    let dir = scratch("unbuilt");
    let out = tailor(
        &[
            "init",
            "--site",
            "acme",
            "--route",
            "acme.example/*",
            "--build-dir",
            "nowhere",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("not built yet: `make build`"));
}

#[test]
fn bad_site_route_or_zone_is_refused_with_the_reason() {
    let dir = scratch("refused");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--site", "Acme", "--route", "acme.example/*"],
            "--site `Acme` must be 1-64 of a-z 0-9 - _",
        ),
        (
            &["--site", "a/b", "--route", "acme.example/*"],
            "--site `a/b` must be",
        ),
        (
            &["--site", &"a".repeat(40), "--route", "acme.example/*"],
            "is too long",
        ),
        (
            &["--site", "acme", "--route", "https://acme.example/*"],
            "no scheme",
        ),
        (&["--site", "acme", "--route", "acme.example"], "no path"),
        (
            &["--site", "acme", "--route", "localhost/*"],
            "is not a lowercase host name",
        ),
        (
            &["--site", "acme", "--route", "WWW.acme.example/*"],
            "is not a lowercase host name",
        ),
        (
            &["--site", "acme", "--route", "acme.example/*/x"],
            "may only end with `*`",
        ),
        (
            &["--site", "acme", "--route", "acme.example/?a=1"],
            "may only end with `*`",
        ),
        (
            &[
                "--site",
                "acme",
                "--route",
                "www.acme.example/*",
                "--zone",
                "other.example",
            ],
            "--zone `other.example`",
        ),
    ];
    for (args, reason) in cases {
        let mut all = vec!["init"];
        all.extend_from_slice(args);
        let out = tailor(&all, &dir);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
    }
    assert_eq!(
        std::fs::read_dir(&dir).map(Iterator::count).unwrap_or(1),
        0,
        "a refused init wrote files"
    );
}

#[test]
fn wildcard_hosts_and_explicit_zones() {
    let dir = scratch("zones");
    let build = fake_build(&dir);
    let build = build.display().to_string();
    let out = tailor(
        &[
            "init",
            "uk",
            "--site",
            "acme_uk",
            "--route",
            "www.acme.co.uk/shop/*",
            "--zone",
            "acme.co.uk",
            "--build-dir",
            &build,
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = read(&dir.join("uk/wrangler.toml"));
    assert!(page.contains(r#"zone_name = "acme.co.uk""#));
    // Queue and D1 names take dashes only.
    assert!(page.contains(r#"queue = "tailor-acme-uk-events""#), "{page}");

    let out = tailor(
        &[
            "init",
            "any",
            "--site",
            "acme",
            "--route",
            "*.acme.example/*",
            "--build-dir",
            &build,
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(read(&dir.join("any/wrangler.toml"))
        .contains(r#"pattern = "*.acme.example/*", zone_name = "acme.example""#));
}

/// The generated configs are for the worker this repository builds: the same
/// compatibility date as its own wrangler.toml.
#[test]
fn compatibility_date_is_the_repository_s() {
    let dir = scratch("date");
    let build = fake_build(&dir);
    let out = tailor(
        &[
            "init",
            "--site",
            "acme",
            "--route",
            "acme.example/*",
            "--build-dir",
            &build.display().to_string(),
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ours = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("wrangler.toml"));
    let line = |toml: &str| {
        toml.lines()
            .find(|l| l.starts_with("compatibility_date"))
            .map(str::to_owned)
    };
    assert!(line(&ours).is_some());
    assert_eq!(line(&read(&dir.join("wrangler.toml"))), line(&ours));
    assert_eq!(line(&read(&dir.join("control/wrangler.toml"))), line(&ours));
}
