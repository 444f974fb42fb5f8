//! `blog-api token create|list|revoke`.

use super::{CliResult, TokenCommand};
use crate::config::Settings;
use crate::db::{self, DbError};
use crate::domain::token::TokenName;
use crate::service::tokens;

pub fn token(settings: &Settings, command: TokenCommand) -> CliResult {
    let (pool, _) = db::connect_and_migrate(
        &settings.database_url,
        1,
        settings.database_statement_timeout,
    )?;
    let mut conn = pool.get().map_err(DbError::from)?;
    match command {
        TokenCommand::Create { name } => {
            let name = TokenName::parse(&name)?;
            let secret = tokens::create(&mut conn, &name)?;
            println!("Created token `{}`. It is shown this once; send it as `Authorization: Bearer <token>`:", name.as_str());
            println!("{secret}");
        }
        TokenCommand::List => {
            let records = db::tokens::list(&mut conn).map_err(DbError::from)?;
            if records.is_empty() {
                println!("no tokens; create one with `blog-api token create NAME`");
            }
            for record in records {
                let used = record
                    .last_used_at
                    .map_or(String::from("never used"), |at| format!("last used {at}"));
                let state = record
                    .revoked_at
                    .map_or(String::from("live"), |at| format!("revoked {at}"));
                println!(
                    "{}\tcreated {}\t{used}\t{state}",
                    record.name, record.created_at
                );
            }
        }
        TokenCommand::Revoke { name } => {
            let name = TokenName::parse(&name)?;
            tokens::revoke(&mut conn, &name)?;
            println!("revoked `{}`", name.as_str());
        }
    }
    Ok(())
}
