//! Secrets kept out of logs and error messages: a leaf that every layer may use.

/// The URL with any password replaced, for logs and error messages.
///
/// The password goes wherever it is: in the user info (which may itself hold `@`) and in a `password=`
/// query parameter (libpq takes one there too).
pub fn redact(url: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((main, query)) => (main, Some(query)),
        None => (url, None),
    };
    let mut shown = match main.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
                None => main.to_owned(),
            },
            None => main.to_owned(),
        },
        None => main.to_owned(),
    };
    if let Some(query) = query {
        let parameters: Vec<String> = query
            .split('&')
            .map(|parameter| match parameter.split_once('=') {
                Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
                _ => parameter.to_owned(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&parameters.join("&"));
    }
    shown
}
