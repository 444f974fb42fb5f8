//! Decoding the scripts' replies: anything they never return is a `CacheError::Protocol`.

use deadpool_redis::redis::Value;

use crate::cache::CacheError;

pub(super) fn first(reply: &[Value]) -> Result<&Value, CacheError> {
    reply
        .first()
        .ok_or_else(|| CacheError::Protocol(String::from("an empty reply")))
}

pub(super) fn array(value: &Value) -> Result<&[Value], CacheError> {
    match value {
        Value::Array(values) => Ok(values),
        other => Err(protocol("a script", other)),
    }
}

pub(super) fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(text) => Some(text.clone()),
        _ => None,
    }
}

pub(super) fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(number) => Some(*number),
        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok()?.parse().ok(),
        _ => None,
    }
}

pub(super) fn protocol(what: &str, value: &Value) -> CacheError {
    CacheError::Protocol(format!("{what} returned {value:?}"))
}
