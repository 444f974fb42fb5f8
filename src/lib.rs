//! blog-api: a JSON REST API backend for a headless blog, with an exact post click counter.

pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod jobs;
pub mod media;
pub mod metrics;
pub mod redact;
pub mod routes;
pub mod service;
pub mod startup;
pub mod telemetry;
