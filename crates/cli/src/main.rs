//! `hotline`: the command-line interface. Parses arguments, calls the
//! libraries, prints for humans (or `--json` for scripts), and maps errors
//! to exit codes: 0 success, 1 a check failed, 2 usage or runtime error.
#![forbid(unsafe_code)]

mod cmd_airgap;
mod cmd_alerts;
mod cmd_bench;
mod cmd_bench_hostile;
mod cmd_bench_sync;
mod cmd_bench_taxii;
mod cmd_bench_ui;
mod cmd_case;
mod cmd_channel;
mod cmd_demo;
mod cmd_disclose;
mod cmd_evidence;
mod cmd_init;
mod cmd_key;
mod cmd_relay;
mod cmd_taxii;
mod cmd_ui;
mod cmd_watch;
mod cmd_witness;
mod offline;
mod passphrase;
mod serve;
mod tr;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Hotline: a verifiable hotline for cyber-security consultations between
/// states and national CERTs.
#[derive(Debug, Parser)]
#[command(
    name = "hotline",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The profile folder [default: <user data dir>/hotline/default].
    #[arg(long, global = true, env = "HOTLINE_PROFILE", value_name = "DIR")]
    profile: Option<PathBuf>,

    /// Trust only the CA certificates in this PEM file for https relays (a state's own CA)
    /// [default: the Mozilla roots].
    #[arg(long, global = true, env = "HOTLINE_RELAY_CA", value_name = "PEM_FILE")]
    relay_ca: Option<PathBuf>,

    /// Log format of servers: text or json.
    #[arg(long, global = true, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the demo: a relay and a witness on loopback, two CERTs and a realistic exchange.
    Demo(cmd_demo::DemoArgs),
    /// Create a profile: a party key, member keys, or both, encrypted with a passphrase.
    Init(cmd_init::Args),
    /// Show or manage keys.
    #[command(subcommand)]
    Key(cmd_key::KeyCommand),
    /// Set up a channel: draft, sign and register its charter, or join one.
    #[command(subcommand)]
    Channel(cmd_channel::ChannelCommand),
    /// Publish this party's roster (its members' keys) in a channel.
    #[command(subcommand)]
    Roster(cmd_channel::RosterCommand),
    /// Fetch, verify, open and archive new entries of every channel; cosign the checkpoint.
    /// Exit status 1 if an alarm is on record.
    Sync {
        /// Only this channel (id).
        #[arg(long)]
        channel: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// On a courier's connected machine: fetch what the air-gapped archive needs into FILE
        /// instead (docs/airgap.md).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["import", "channel"])]
        export: Option<PathBuf>,
        /// On the air-gapped machine: verify and open FILE (from `--export`) exactly as an
        /// online sync would; needs --out.
        #[arg(
            long,
            value_name = "FILE",
            requires = "out",
            conflicts_with = "channel"
        )]
        import: Option<PathBuf>,
        /// With --import: where to write the receipts and queued messages, for `hotline post`.
        #[arg(long, value_name = "FILE", requires = "import")]
        out: Option<PathBuf>,
    },
    /// On a courier's connected machine: post what the air-gapped machine wrote
    /// (`hotline sync --import … --out FILE`): its messages and receipts.
    Post {
        /// The outbox file.
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A courier for an air-gapped party: grant its key (air-gapped side), make and set up
    /// its folder (connected side). See docs/airgap.md.
    #[command(subcommand)]
    Courier(cmd_airgap::CourierCommand),
    /// Disclose cases with every party's consent: request, consent, refuse, export.
    #[command(subcommand)]
    Disclose(cmd_disclose::DiscloseCommand),
    /// Verify a disclosure bundle offline: exit 0 if valid and fully consented, 1 otherwise.
    Verify {
        /// The bundle (JSON).
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sync continuously: print what arrives as it arrives, and alarms loudly (Ctrl-C stops).
    Watch {
        /// Only this channel (id).
        #[arg(long)]
        channel: Option<String>,
        /// Seconds between syncs when the relay's event stream is silent.
        #[arg(long, default_value_t = 30)]
        interval: u64,
        /// Print one JSON object per line (events: message, synced, alarm, error).
        #[arg(long)]
        json: bool,
    },
    /// Open and act on cases (inquiries, assistance, warnings, de-confliction, consultations).
    #[command(subcommand)]
    Case(cmd_case::CaseCommand),
    /// Drafts: STIX 2.1 evidence gathered for a case not opened yet (from the TAXII outbox or
    /// an import); `hotline case open --draft NAME` sends it.
    #[command(subcommand)]
    Evidence(cmd_evidence::EvidenceCommand),
    /// What needs me, by deadline. Syncs first; if the relay cannot be reached, shows the
    /// archive and says how old its last verified checkpoint is.
    Inbox {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Judge deadlines at this time (RFC 3339) instead of now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Send a communication check to parties; they answer with `hotline pong`.
    Ping {
        /// The parties (short names).
        #[arg(long = "to", required = true)]
        to: Vec<String>,
        /// The channel [default: the only one].
        #[arg(long)]
        channel: Option<String>,
    },
    /// Answer a communication check.
    Pong {
        /// The ping's id (from `hotline inbox`).
        ping: String,
    },
    /// Responsiveness per party, recomputable from the log by every party. Syncs first; if the
    /// relay cannot be reached, reports from the archive and says how old it is.
    Report {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Judge deadlines at this time (RFC 3339) instead of now, e.g. the end of a quarter.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Show the alarms on record, with their evidence (exit status 1 if any). Reads the archive
    /// only: never needs the relay.
    Alarms {
        /// Print JSON (evidence included, base64).
        #[arg(long)]
        json: bool,
    },
    /// Alerts out of band (e-mail, webhook) when something needs this party: check the
    /// profile's alerts.toml, send a test, list deliveries. `hotline watch` and `hotline ui`
    /// raise and deliver them.
    #[command(subcommand, after_long_help = cmd_alerts::FILE_HELP)]
    Alerts(cmd_alerts::AlertsCommand),
    /// Run the relay that carries channels (stores ciphertext, sequences logs, signs checkpoints).
    #[command(subcommand)]
    Relay(cmd_relay::RelayCommand),
    /// Serve this profile's STIX evidence to the CERT's own tools over TAXII 2.1, and take the
    /// objects of a case to open from them (the outbox).
    #[command(subcommand)]
    Taxii(cmd_taxii::TaxiiCommand),
    /// Serve the duty officer's web UI on loopback (inbox, cases, live updates); prints the
    /// address to open, with a one-time login token.
    Ui(cmd_ui::UiArgs),
    /// Run an independent witness that cosigns checkpoints (C2SP tlog-witness).
    #[command(subcommand)]
    Witness(cmd_witness::WitnessCommand),
    /// Benchmarks that need a running system (figures in docs/benchmarks.md).
    #[command(subcommand)]
    Bench(cmd_bench::BenchCommand),
}

impl Cli {
    fn profile_dir(&self) -> anyhow::Result<PathBuf> {
        match &self.profile {
            Some(p) => Ok(p.clone()),
            None => hotline_client::profile::Profile::default_dir().ok_or_else(|| {
                anyhow::anyhow!(
                    "cannot find a data folder for the default profile; pass --profile DIR"
                )
            }),
        }
    }
}

/// What a command concluded.
pub enum Outcome {
    /// Everything held.
    Ok,
    /// A check failed (exit status 1).
    CheckFailed,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    serve::init_logging(cli.log_format == "json");
    if let Some(f) = &cli.relay_ca {
        let r = std::fs::read(f)
            .map_err(|e| anyhow::anyhow!("reading the relay CA file {}: {e}", f.display()))
            .and_then(|pem| Ok(hotline_client::relay_client::trust_ca_pem(&pem)?));
        if let Err(e) = r {
            eprintln!("{}", tr::ta("cli-error", &[("error", e.to_string())]));
            return ExitCode::from(2);
        }
    }
    let result = match &cli.command {
        Command::Init(args) => cmd_init::run(&cli, args),
        Command::Demo(a) => cmd_demo::run_demo(a),
        Command::Key(k) => cmd_key::run(&cli, k),
        Command::Relay(r) => cmd_relay::run(r),
        Command::Witness(w) => cmd_witness::run(w),
        Command::Taxii(t) => cmd_taxii::run(&cli, t),
        Command::Ui(u) => cmd_ui::run(&cli, u),
        Command::Bench(b) => cmd_bench::run(b),
        Command::Channel(c) => cmd_channel::run_channel(&cli, c),
        Command::Roster(r) => cmd_channel::run_roster(&cli, r),
        Command::Sync {
            export: Some(f),
            json,
            ..
        } => cmd_airgap::run_export(&cli, f, *json),
        Command::Sync {
            import: Some(f),
            out: Some(o),
            json,
            ..
        } => cmd_airgap::run_import(&cli, f, o, *json),
        Command::Sync { channel, json, .. } => {
            cmd_channel::run_sync(&cli, channel.as_deref(), *json)
        }
        Command::Post { file, json } => cmd_airgap::run_post(&cli, file, *json),
        Command::Courier(c) => cmd_airgap::run_courier(&cli, c),
        Command::Watch {
            channel,
            interval,
            json,
        } => cmd_watch::run_watch(&cli, channel.as_deref(), *interval, *json),
        Command::Disclose(d) => cmd_disclose::run(&cli, d),
        Command::Verify { file, json } => cmd_disclose::run_verify(file, *json),
        Command::Alarms { json } => offline::run_alarms(&cli, *json),
        Command::Alerts(a) => cmd_alerts::run(&cli, a),
        Command::Case(c) => cmd_case::run_case(&cli, c),
        Command::Evidence(e) => cmd_evidence::run(&cli, e),
        Command::Inbox { json, at } => cmd_case::run_inbox(&cli, *json, at.as_deref()),
        Command::Ping { to, channel } => cmd_case::run_ping(&cli, to, channel.as_deref()),
        Command::Pong { ping } => cmd_case::run_pong(&cli, ping),
        Command::Report { json, at } => cmd_case::run_report(&cli, *json, at.as_deref()),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::CheckFailed) => ExitCode::from(1),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(
                stderr,
                "{}",
                tr::ta("cli-error", &[("error", e.to_string())])
            );
            for cause in e.chain().skip(1) {
                let _ = writeln!(
                    stderr,
                    "  {}",
                    tr::ta("cli-caused-by", &[("cause", cause.to_string())])
                );
            }
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes a line to stdout, returning broken pipes as errors to stop quietly.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?;
    }};
}
