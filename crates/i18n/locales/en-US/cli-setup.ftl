# The hotline command's set-up and administration commands (crates/cli: channel, roster,
# key, evidence, alerts, courier, post, sync --export/--import), where a person reads them.

## hotline init, hotline key show
cli-init-created = Created profile in { $dir }
cli-profile = Profile { $dir }
cli-profile-party = Party   { $name } ({ $short })
cli-profile-party-id = party id       { $id }
cli-profile-party-key = party key      { $key } (Ed25519)
cli-profile-member = Member  { $name }
cli-profile-signing-id = signing id     { $id }
cli-profile-signing-key = signing key    { $key } (Ed25519)
cli-profile-encryption-id = encryption id  { $id }
cli-profile-encryption-key = encryption key { $key } (X25519)

## hotline key check, hotline key rotate
cli-key-party-ok = party key: ok
cli-key-party-failed = party key: FAILED: { $error }
cli-key-member-ok = member keys: ok
cli-key-member-failed = member keys: FAILED: { $error }
cli-key-rotated = Rotated the member keys of { $profile }
cli-key-rotated-old = old signing id { $id } (kept in retired/)
cli-key-rotated-new = new signing id { $id }
cli-key-roster-not-updated = channel { $channel }: the roster was not updated: { $error }
cli-key-make-proof = Channel { $channel }: make a proof for the new keys with `hotline roster proof --channel { $channel } --party PARTY --out member.json`; the party's key holder runs `hotline roster update --channel { $channel } --add member.json --revoke { $key }`
cli-key-holder-runs = Channel { $channel }: the party's key holder runs `hotline roster update --channel { $channel } --add { $file } --revoke { $key }`

## hotline channel
cli-channel-drafted = Drafted the charter of channel { $channel } in { $file }
cli-channel-parties = Parties: { $parties }
cli-channel-next-sign = Next: each party runs `hotline channel sign { $file }`
cli-channel-signed-already = { $party } has signed this charter already
cli-channel-signed = Signed as { $party }
cli-channel-all-signed = Every party has signed. Next: `hotline channel register { $file }`
cli-channel-still-to-sign = Still to sign: { $parties }
cli-channel-registered = Channel { $channel } registered on { $relay } ({ $origin })
cli-channel-following = Following channel { $channel } on { $relay }
cli-channel-row = { $channel }  { $size } entries verified  { $relay }

## hotline roster
cli-roster-proof-written = Wrote the proof that { $member } (signing id { $key }) joins party { $party } in channel { $channel } to { $file }
cli-roster-proof-suite = It names this member's { $suite } key (new channels' suite); for a channel of suite hotline-v1 make it again with --suite hotline-v1
cli-roster-proof-next = Next: the party's key holder runs `hotline roster update --channel { $channel } --add { $file }`
cli-roster-published = Published roster version { $version } of { $party } ({ $members } members) at log index { $index }, confirmed in a signed checkpoint
cli-roster-not-synced = warning: could not sync ({ $error }); showing the rosters as last verified
cli-roster-party = { $party } ({ $name }): roster version { $version }
cli-roster-party-none = { $party } ({ $name }): no roster yet
cli-roster-member = { $name }  signing { $signing }  encryption { $encryption }

## hotline evidence
cli-evidence-no-drafts = No drafts.
cli-evidence-draft-row = { $draft }  channel { $channel }  { $objects } object(s), { $bytes } bytes, started { $started }
cli-evidence-draft-head = Draft { $draft } (channel { $channel }): { $objects } object(s)
cli-evidence-object = { $id }  { $type }  version { $version }  from { $source }, added { $added }
cli-evidence-discarded = Discarded draft { $draft } and its { $objects } object(s)
cli-evidence-error = error: { $issue }
cli-evidence-warning = warning: { $issue }
cli-evidence-valid = { $file }: valid STIX 2.1 ({ $errors } error(s), { $warnings } warning(s))
cli-evidence-invalid = { $file }: NOT valid STIX 2.1 ({ $errors } error(s), { $warnings } warning(s))
cli-evidence-password = Password for the TAXII server
cli-evidence-reading = reading { $url }
cli-evidence-progress = { $objects } object(s), { $pages } page(s), { $bytes } bytes
cli-evidence-refused = refused, not valid STIX 2.1: { $reason }
cli-evidence-not-imported = warning: not imported, not valid STIX 2.1: { $reason }
cli-evidence-imported = Imported { $added } object(s) into draft { $draft } ({ $already } already there) from { $url }
cli-evidence-refused-count = { $refused } object(s) refused (see the warnings)

## hotline alerts
cli-alerts-valid = { $file }: valid
cli-alerts-events = events: { $events }
cli-alerts-timing = deadlines alert { $before } s before; titles up to { $tlp }; retried for { $retry } s
cli-alerts-no-target = no target: add an [[email]] or a [[webhook]] section
cli-alerts-target = target { $target }
cli-alerts-delivered = { $target }: delivered
cli-alerts-failed = { $target }: FAILED: { $error }
cli-alerts-no-target-configured = no target is configured: add an [[email]] or a [[webhook]] section
cli-alerts-none = no alert on record
cli-alerts-row = #{ $alert } { $key } → { $target }: { $state }
cli-alerts-state-delivered = delivered after { $attempts } attempt(s)
cli-alerts-state-gave-up = GAVE UP after { $attempts } attempt(s): { $error }
cli-alerts-state-pending = pending
cli-alerts-state-retrying = pending, { $attempts } attempt(s) failed: { $error }

## hotline courier, hotline sync --export/--import, hotline post
cli-courier-key = Courier key { $key } (written to { $file })
cli-courier-carry-key = Carry it to the air-gapped machine: `hotline courier grant --courier courier.pub --out grants.json`
cli-courier-granted = Granted the courier { $channels } channel(s) for { $days } day(s): carry { $file } to the connected machine (`hotline courier accept`). This profile is now air-gapped: messages are queued for the courier.
cli-courier-accepted = Accepted grants for { $channels } channel(s): `hotline sync --export FILE` fetches what the air-gapped machine needs
cli-export-channel = { $channel }: { $entries } entries from { $from }, { $envelopes } envelopes, { $checkpoints } checkpoints
cli-export-wrote = Wrote { $file }: carry it to the air-gapped machine (`hotline sync --import`)
cli-import-alarm = { $channel }: ALARM { $kind }: { $detail } (`hotline alarms` shows the evidence)
cli-import-sent = { $sent } queued message(s) are in the log now
cli-import-wrote = Wrote { $file }: { $queued } queued message(s), { $receipts } receipt(s); carry it to the connected machine (`hotline post`)
cli-post-row = { $channel }: posted { $envelopes } envelope(s) (log entries { $entries }), { $receipts } receipt(s)
cli-post-row-checkpoint = { $channel }: posted { $envelopes } envelope(s) (log entries { $entries }), { $receipts } receipt(s); in the relay's checkpoint of size { $size }
cli-post-row-no-checkpoint = { $channel }: posted { $envelopes } envelope(s) (log entries { $entries }), { $receipts } receipt(s); no checkpoint covers them yet
