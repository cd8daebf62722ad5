//! `backup`: a consistent copy of the database, even while the app runs.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use reachloop::{App, Error};

#[derive(Args)]
pub(crate) struct BackupArgs {
    /// Where to write the copy; must not exist yet.
    file: PathBuf,
}

pub(crate) async fn run(app: &App, out: &mut impl Write, args: BackupArgs) -> Result<(), Error> {
    let BackupArgs { file } = args;
    app.store().backup_to(&file).await?;
    let _ = writeln!(out, "backed up the database to {}", file.display());
    Ok(())
}
