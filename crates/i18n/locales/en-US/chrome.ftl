# The page chrome: the help page, the keyboard shortcuts, the idle lock.
nav-help = Help

help-title = Help
help-shortcuts = Keyboard shortcuts
help-shortcuts-intro = Press the keys one after the other. No shortcut works while you type in a field (press Escape to leave it first), nor with Ctrl, Alt or Cmd held. A shortcut never sends anything by itself: it moves you to the button, and Enter sends.
help-col-keys = Keys
help-col-what = What it does
help-col-where = Where
help-then = then
help-dates = Dates and times
help-dates-text = Dates are shown in your browser's time zone; hover over one (or focus it) to see it in UTC. Without JavaScript they are shown in UTC.
help-lock = Idle lock
help-lock-text = After a while without a request from this browser (hotline ui --idle-lock, 15 minutes by default) the pages are locked until you give the member passphrase again. Logging in again with the printed address does not get past the lock.

shortcut-inbox = Go to the inbox
shortcut-compose = Compose a new case
shortcut-help = Show this help
shortcut-next = Select the next case
shortcut-previous = Select the previous case
shortcut-open = Open the selected case
shortcut-filter = Go to the filters
shortcut-acknowledge = Go to the Acknowledge button (Enter sends)
shortcut-reply = Go to the answer (or reply) field
shortcut-leave-field = Leave the field you are typing in

shortcut-scope-everywhere = every page
shortcut-scope-inbox = the inbox
shortcut-scope-case = a case page
shortcut-scope-field = a field

locked-title = Locked
locked-text = This session was locked after a while without use. Give the member passphrase (the one that unlocked hotline ui) to go on.
locked-wrong = That passphrase does not unlock the member keys. Try again.
locked-passphrase = Member passphrase
locked-submit = Unlock

# Durations (view::duration).
dur-s = { $s } s
dur-min = { $m } min
dur-h-min = { $h } h { $m } min
dur-d-h = { $d } d { $h } h
