# Создание канала обменом файлами (crates/ui/src/setup.rs): все строки (русский).
nav-setup = Каналы
setup-title = Каналы
setup-steps = Канал создаётся обменом файлами: одна сторона составляет устав из profile.json каждой стороны; каждая сторона по очереди подписывает его; одна регистрирует его на ретрансляторе; остальные присоединяются; каждая публикует свой состав. После этого можно открывать дела.
setup-errors = Что не так
setup-we-are = Этот профиль принадлежит стороне { $party }.
setup-channels = Каналы этого профиля
setup-none = Этот профиль ещё не участвует ни в одном канале. Составьте устав ниже или присоединитесь к каналу, который зарегистрировала другая сторона.
setup-col-channel = Канал
setup-col-parties = Стороны
setup-col-relay = Ретранслятор
setup-col-state = Состояние
setup-col-kind = Вид
setup-col-ack = Подтвердить в течение
setup-col-answer = Ответить в течение
setup-col-short = Краткое имя
setup-col-name = Имя
setup-col-fingerprint = Отпечаток ключа (идентификатор стороны)
setup-col-signed = Подписан
setup-us = (мы)
setup-verified = проверено { $entries ->
    [one] { $entries } запись журнала
    [few] { $entries } записи журнала
   *[many] { $entries } записей журнала
}
setup-roster-version = наш состав: версия { $version }
setup-roster-none = наш состав: пока нет (опубликуйте его)
setup-roster-members = Подтверждения других участников (member.json, необязательно)
setup-roster-publish = Опубликовать наш состав
setup-back = Назад к каналам
setup-charter-file = Файл устава (JSON)
setup-draft-h = Составить новый канал
setup-draft-intro = Соберите profile.json каждой стороны (секретов в нём нет) и составьте устав; он скачается файлом, который нужно отправить остальным.
setup-draft-title = Составить новый канал
setup-draft-field-title = Для чего канал (заголовок)
setup-draft-parties = Стороны (от 2 до 32)
setup-draft-include-me = Наша сторона ({ $party })
setup-draft-party-files = Файлы profile.json других сторон
setup-draft-party-pasted = Или вставьте их profile.json (один или несколько, друг за другом)
setup-draft-relay = Ретранслятор
setup-draft-relay-url = URL ретранслятора
setup-draft-relay-key = Ключ проверки ретранслятора (`hotline relay key`)
setup-draft-witnesses-h = Свидетели
setup-draft-witnesses = Свидетели, по одному VKEY=URL в строке (необязательно)
setup-draft-quorum = Сколько соподписей нужно контрольной точке (пусто: все свидетели)
setup-draft-deadlines = Сроки
setup-draft-deadlines-help = Число с s, m, h или d (24h, 7d); - или пусто — без срока.
setup-draft-ack-of = { $kind }: подтвердить в течение
setup-draft-answer-of = { $kind }: ответить в течение
setup-draft-tlp = Метка TLP по умолчанию
setup-draft-suite = Набор шифров
setup-draft-suite-xwing = hotline-v2-xwing: постквантовый гибрид, X25519 с ML-KEM-768 (рекомендуется)
setup-draft-suite-v1 = hotline-v1: только X25519, для сторон, чьи программы старше гибридного набора
setup-draft-suite-help = Неизменен на всё время жизни канала. Гибридный набор сохраняет конфиденциальность сегодняшних сообщений и против будущего квантового компьютера.
setup-draft-bad-suite = Набор шифров { $suite } неизвестен; выберите hotline-v2-xwing или hotline-v1.
setup-draft-submit = Составить и скачать устав
setup-draft-no-title = Каналу нужен заголовок.
setup-draft-bad-quorum = Кворум { $quorum } — не число.
setup-draft-files-again = Выберите файлы профилей снова: браузер их не сохраняет.
setup-no-own-party = В этом профиле нет стороны, которую можно включить: снимите отметку «наша сторона» и дайте profile.json каждой стороны.
setup-pasted-profile = вставленный профиль
setup-sign-h = Подписать устав
setup-sign-intro = Загрузите присланный вам устав: перед подписью от имени вашей стороны он будет показан для проверки.
setup-sign-review = Проверить
setup-register-h = Зарегистрировать устав на его ретрансляторе
setup-register-intro = Когда все стороны подписали устав, одна сторона регистрирует его на указанном в нём ретрансляторе; после этого профиль участвует в канале.
setup-register-submit = Зарегистрировать
setup-join-h = Присоединиться к зарегистрированному каналу
setup-join-intro = Другая сторона зарегистрировала устав: загрузите его, чтобы участвовать в канале (подпись каждой стороны проверяется).
setup-join-submit = Присоединиться
setup-review-title = Проверка устава
setup-review-file = Файл: { $file }
setup-review-channel-title = Заголовок
setup-review-channel = Идентификатор канала
setup-review-created = Составлен
setup-review-relay = Ретранслятор
setup-review-witnesses = Свидетели
setup-review-no-witness = нет
setup-review-quorum = кворум: { $quorum }
setup-review-tlp = TLP по умолчанию
setup-review-retention = Хранение
setup-review-days = { $days ->
    [one] { $days } день
    [few] { $days } дня
   *[many] { $days } дней
}
setup-review-disclosure = Для раскрытия нужно согласие
setup-review-parties = Стороны
setup-review-deadlines = Сроки
setup-review-complete = Все стороны подписали: устав можно регистрировать.
setup-review-missing = Ещё должны подписать: { $parties }
setup-review-sign = Подписать от имени нашей стороны и скачать
setup-review-signed-already = Наша сторона уже подписала этот устав.
setup-review-download = Скачать снова
setup-review-cannot-sign = Этот профиль не может подписать этот устав: его сторона не является стороной устава, или в профиле нет ключа стороны.
setup-signed-yes = да
setup-signed-no = ещё нет
setup-not-multipart = Форма отправлена не как загрузка файла (multipart/form-data). Воспользуйтесь формой страницы «Каналы».
setup-bad-form = Загруженную форму не удалось прочитать. Попробуйте снова со страницы «Каналы».
setup-file-too-large = { $name } больше { $max } КиБ: это не устав и не файл профиля.
setup-no-charter = Выберите файл устава для загрузки.
setup-one-charter = Загружайте по одному файлу устава.
setup-the-charter = устав
setup-no-profile = Сервер запущен без своего профиля: перезапустите `hotline ui`.
setup-no-such-channel = Этот профиль не участвует в таком канале.
inbox-no-channel = Этот профиль ещё не участвует ни в одном канале.
inbox-no-channel-link = Создать канал («Каналы»)
