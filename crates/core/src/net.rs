//! Addresses: which may be reached over plain HTTP. Shared by the client
//! (a relay's URL) and the relay (a witness's URL from a charter).

/// The `host[:port]` of an `http://` or `https://` URL, if it is one.
pub fn authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let a = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    (!a.is_empty() && !a.contains('@')).then_some(a)
}

/// Whether `authority` (`host[:port]`, IPv6 in brackets) names this
/// machine: `localhost` or a loopback address.
pub fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_authorities_and_urls() {
        assert_eq!(authority("http://127.0.0.1:9/x?y"), Some("127.0.0.1:9"));
        assert_eq!(authority("https://w.example"), Some("w.example"));
        assert_eq!(authority("http://user@host/"), None);
        assert_eq!(authority("ftp://host/"), None);
        assert_eq!(authority("http:///x"), None);
        for a in ["127.0.0.1:1", "localhost:80", "[::1]:8440", "127.9.9.9"] {
            assert!(is_loopback_authority(a), "{a}");
        }
        for a in [
            "192.0.2.1:80",
            "10.0.0.1",
            "[2001:db8::1]:1",
            "localhost.example",
        ] {
            assert!(!is_loopback_authority(a), "{a}");
        }
    }
}
