# Команды hotline для настройки и администрирования (crates/cli: channel, roster, key,
# evidence, alerts, courier, post, sync --export/--import) там, где их читает человек.

## hotline init, hotline key show
cli-init-created = Профиль создан в { $dir }
cli-profile = Профиль  { $dir }
cli-profile-party = Сторона  { $name } ({ $short })
cli-profile-party-id = id стороны        { $id }
cli-profile-party-key = ключ стороны      { $key } (Ed25519)
cli-profile-member = Участник { $name }
cli-profile-signing-id = id подписи        { $id }
cli-profile-signing-key = ключ подписи      { $key } (Ed25519)
cli-profile-encryption-id = id шифрования     { $id }
cli-profile-encryption-key = ключ шифрования   { $key } (X25519)

## hotline key check, hotline key rotate
cli-key-party-ok = ключ стороны: в порядке
cli-key-party-failed = ключ стороны: ОШИБКА: { $error }
cli-key-member-ok = ключи участника: в порядке
cli-key-member-failed = ключи участника: ОШИБКА: { $error }
cli-key-rotated = Ключи участника профиля { $profile } заменены
cli-key-rotated-old = прежний id подписи { $id } (сохранён в retired/)
cli-key-rotated-new = новый id подписи { $id }
cli-key-roster-not-updated = канал { $channel }: реестр не обновлён: { $error }
cli-key-make-proof = Канал { $channel }: создайте подтверждение для новых ключей командой `hotline roster proof --channel { $channel } --party PARTY --out member.json`; затем держатель ключа стороны выполняет `hotline roster update --channel { $channel } --add member.json --revoke { $key }`
cli-key-holder-runs = Канал { $channel }: держатель ключа стороны выполняет `hotline roster update --channel { $channel } --add { $file } --revoke { $key }`

## hotline channel
cli-channel-drafted = Проект устава канала { $channel } записан в { $file }
cli-channel-parties = Стороны: { $parties }
cli-channel-next-sign = Далее: каждая сторона выполняет `hotline channel sign { $file }`
cli-channel-signed-already = Сторона { $party } уже подписала этот устав
cli-channel-signed = Подписано от имени стороны { $party }
cli-channel-all-signed = Устав подписан всеми сторонами. Далее: `hotline channel register { $file }`
cli-channel-still-to-sign = Ещё не подписали: { $parties }
cli-channel-registered = Канал { $channel } зарегистрирован на { $relay } ({ $origin })
cli-channel-following = Канал { $channel } на { $relay } теперь отслеживается
cli-channel-row = { $channel }  проверено записей: { $size }  { $relay }

## hotline roster
cli-roster-proof-written = Подтверждение того, что { $member } (id подписи { $key }) входит в сторону { $party } в канале { $channel }, записано в { $file }
cli-roster-proof-suite = В нём указан ключ этого участника для набора шифров { $suite } (набор новых каналов); для канала с набором hotline-v1 создайте его заново с --suite hotline-v1
cli-roster-proof-next = Далее: держатель ключа стороны выполняет `hotline roster update --channel { $channel } --add { $file }`
cli-roster-published = Версия { $version } реестра стороны { $party } ({ $members } { $members ->
    [one] участник
    [few] участника
   *[other] участников
}) опубликована в журнале под индексом { $index } и подтверждена подписанной контрольной точкой
cli-roster-not-synced = предупреждение: синхронизация не удалась ({ $error }); показаны реестры по последней проверке
cli-roster-party = { $party } ({ $name }): версия реестра { $version }
cli-roster-party-none = { $party } ({ $name }): реестра ещё нет
cli-roster-member = { $name }  подпись { $signing }  шифрование { $encryption }

## hotline evidence
cli-evidence-no-drafts = Черновиков нет.
cli-evidence-draft-row = { $draft }  канал { $channel }  { $objects } { $objects ->
    [one] объект
    [few] объекта
   *[other] объектов
}, { $bytes } { $bytes ->
    [one] байт
    [few] байта
   *[other] байт
}, начат { $started }
cli-evidence-draft-head = Черновик { $draft } (канал { $channel }): { $objects } { $objects ->
    [one] объект
    [few] объекта
   *[other] объектов
}
cli-evidence-object = { $id }  { $type }  версия { $version }  из { $source }, добавлен { $added }
cli-evidence-discarded = Черновик { $draft } удалён вместе с объектами (объектов: { $objects })
cli-evidence-error = ошибка: { $issue }
cli-evidence-warning = предупреждение: { $issue }
cli-evidence-valid = { $file }: соответствует STIX 2.1 (ошибок: { $errors }, предупреждений: { $warnings })
cli-evidence-invalid = { $file }: НЕ соответствует STIX 2.1 (ошибок: { $errors }, предупреждений: { $warnings })
cli-evidence-password = Пароль для сервера TAXII
cli-evidence-reading = чтение { $url }
cli-evidence-progress = объектов: { $objects }, страниц: { $pages }, байт: { $bytes }
cli-evidence-refused = отклонён, не соответствует STIX 2.1: { $reason }
cli-evidence-not-imported = предупреждение: не импортирован, не соответствует STIX 2.1: { $reason }
cli-evidence-imported = В черновик { $draft } импортировано объектов: { $added } (уже были в нём: { $already }) из { $url }
cli-evidence-refused-count = Отклонено объектов: { $refused } (см. предупреждения)

## hotline alerts
cli-alerts-valid = { $file }: без ошибок
cli-alerts-events = события: { $events }
cli-alerts-timing = о сроках оповещает за { $before } с; заголовки до { $tlp }; повторные попытки в течение { $retry } с
cli-alerts-no-target = нет получателя: добавьте раздел [[email]] или [[webhook]]
cli-alerts-target = получатель { $target }
cli-alerts-delivered = { $target }: доставлено
cli-alerts-failed = { $target }: ОШИБКА: { $error }
cli-alerts-no-target-configured = не настроено ни одного получателя: добавьте раздел [[email]] или [[webhook]]
cli-alerts-none = оповещений в архиве нет
cli-alerts-row = #{ $alert } { $key } → { $target }: { $state }
cli-alerts-state-delivered = доставлено за { $attempts } { $attempts ->
    [one] попытку
    [few] попытки
   *[other] попыток
}
cli-alerts-state-gave-up = ДОСТАВКА ПРЕКРАЩЕНА после { $attempts } { $attempts ->
    [one] попытки
   *[other] попыток
}: { $error }
cli-alerts-state-pending = ожидает отправки
cli-alerts-state-retrying = ожидает, неудачных попыток { $attempts }: { $error }

## hotline courier, hotline sync --export/--import, hotline post
cli-courier-key = Ключ курьера { $key } (записан в { $file })
cli-courier-carry-key = Перенесите его на изолированную машину: `hotline courier grant --courier courier.pub --out grants.json`
cli-courier-granted = Курьеру предоставлен доступ к { $channels } { $channels ->
    [one] каналу
   *[other] каналам
} на { $days } { $days ->
    [one] день
    [few] дня
   *[other] дней
}: перенесите { $file } на подключённую машину (`hotline courier accept`). Теперь профиль изолирован: сообщения ставятся в очередь для курьера.
cli-courier-accepted = Приняты разрешения для { $channels } { $channels ->
    [one] канала
   *[other] каналов
}: `hotline sync --export FILE` получает то, что нужно изолированной машине
cli-export-channel = { $channel }: записей: { $entries } (начиная с { $from }), конвертов: { $envelopes }, контрольных точек: { $checkpoints }
cli-export-wrote = Записан { $file }: перенесите его на изолированную машину (`hotline sync --import`)
cli-import-alarm = { $channel }: ТРЕВОГА { $kind }: { $detail } (`hotline alarms` показывает доказательства)
cli-import-sent = теперь в журнале сообщений из очереди: { $sent }
cli-import-wrote = Записан { $file }: сообщений в очереди: { $queued }, квитанций: { $receipts }; перенесите его на подключённую машину (`hotline post`)
cli-post-row = { $channel }: опубликовано конвертов: { $envelopes } (записи журнала { $entries }), квитанций: { $receipts }
cli-post-row-checkpoint = { $channel }: опубликовано конвертов: { $envelopes } (записи журнала { $entries }), квитанций: { $receipts }; они в контрольной точке ретранслятора размером { $size }
cli-post-row-no-checkpoint = { $channel }: опубликовано конвертов: { $envelopes } (записи журнала { $entries }), квитанций: { $receipts }; ни одна контрольная точка их пока не охватывает
