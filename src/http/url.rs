//! The parts of a URL the worker reads: path, query, host.

/// The path and query of an absolute URL (`https://h/p?q#f` → `/p?q`).
pub fn path_and_query_of(url: &str) -> &str {
    let after_scheme = url
        .find("://")
        .map_or(url, |i| url.get(i + 3..).unwrap_or_default());
    let rest = after_scheme
        .find('/')
        .map_or("/", |i| after_scheme.get(i..).unwrap_or("/"));
    rest.split('#').next().unwrap_or(rest)
}

/// The query of an absolute URL, without `?` (`https://h/p?q#f` → `q`).
pub fn query_of(url: &str) -> &str {
    path_and_query_of(url).split_once('?').map_or("", |(_, q)| q)
}

/// The path of an absolute URL (`https://h/p?q` → `/p`).
pub fn path_of(url: &str) -> &str {
    let pq = path_and_query_of(url);
    pq.split('?').next().unwrap_or(pq)
}

/// The host of a URL (`https://a.b:1/x` → `a.b`), lowercased.
pub fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_queries_are_taken_from_absolute_urls() {
        assert_eq!(path_of("https://example.com/pricing?plan=x#top"), "/pricing");
        assert_eq!(
            path_and_query_of("https://example.com/pricing?plan=x#top"),
            "/pricing?plan=x"
        );
        assert_eq!(path_of("http://127.0.0.1:8787"), "/");
        assert_eq!(path_and_query_of("http://h?x=1"), "/");
        assert_eq!(path_of("/already/a/path"), "/already/a/path");
        assert_eq!(
            query_of("https://example.com/p?utm_source=x&a=1#f"),
            "utm_source=x&a=1"
        );
        assert_eq!(query_of("https://example.com/p"), "");
    }

    #[test]
    fn hosts_are_lowercased_without_port_or_credentials() {
        assert_eq!(
            host_of("https://user@WWW.Example.com:8443/x").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(host_of("not a url"), None);
        assert_eq!(host_of("https:///x"), None);
    }
}
