"""The shared vocabulary of meaning matching: concepts with every way fans write them, and the words
that frame a question rather than say what it is about.

Written for the sisters' domain (what fans ask a VTuber: her likes, her day, streams, games, books,
music, her sisters) and kept as plain data: ``meaning.py`` folds every form the way messages are
folded and builds one Aho-Corasick automaton from it. A learned pattern adds the forms of its own
content words (found offline by the morphological analyser), so this list is the synonyms that
differ in their letters (スイーツ = 甘いもの = デザート), not every word a fan may use.

Format, one entry a line: ``id: form form …``. A form may carry several concepts (``好物`` is
like + food: write it under one id and add ``+food`` after the form). Ids in ``LIGHT`` weigh half
as much: a time word such as 最近 narrows a question less than a topic does.
"""

from __future__ import annotations

# --- content: what a question is about ---------------------------------------------------------
CONCEPTS = """
like: 好き 好ぎ すき スキ 好きになった+began 好きになって+began 好きになる+began すきになった+began ファンやって ファンして 好み このみ お気に入り 気に入り 推し 最推し 大好き 好ん 愛用 好物+food 大好物+food 推してる 推せる ベスト オールタイムベスト 最強 刺さ 思い入れ 人生 生涯 no.1 ナンバーワン 神 一番好き 派 何派 なに派
dislike: 嫌い きらい 苦手 にがて 無理な むりな 無理って むりって 好き嫌い 食べられない+food 食べれない+food 食べれへん+food 食べられん+food 食べれん+food 食べきらん+food 食べきれん+food 食べられへん+food 食べたくない+food 避け
recommend: おすすめ オススメ お勧め お薦め おすすめ 推奨 すすめ 勧め イチオシ 一推し いちおし 紹介 見るべき 読むべき 勧める 面白い おもしろい 面白 おもろい
food: 得意料理+skill_good 得意メニュー+skill_good 十八番料理+skill_good 食べ物 たべもの たべる たべます 食べもの 食いもん 食い物 くいもん 食べもん たべもん 食べ 食べる 食う 食事 ごはん ご飯 ごはん フード グルメ 料理 食材 おいしい 美味しい
sweets: スイーツ 甘いもの 甘い物 あまいもの 甘いもん あまいもん 甘党+like あまとう+like 甘味 お菓子 おかし 菓子 デザート ケーキ おやつ オヤツ 間食
drink: 飲み物 のみもの 飲みもの 飲む 飲んで 飲み のむ のみます のんでる ドリンク 飲料
cook: 自炊 料理しま 晩ごはん作 晩ご飯作 夜ご飯作 夜ごはん作 夕飯作 朝ごはん作 朝ご飯作 お弁当作 弁当作 料理当番 料理担当 料理係 ご飯係 ごはん係 ご飯当番 ごはん当番 ご飯担当 ごはん担当 食事当番 料理は得意 料理って得意 料理ってされ 料理する 料理を作 料理作 料理は作 料理はされ 料理をされ 料理をし 料理し キッチン ご飯を作 ごはんを作 料理を 料理でき 料理はでき 料理ってでき 料理って作 料理はする 料理が得意 料理得意 料理上手 料理の腕 ご飯作 ごはん作 ご飯つく ごはんつく お料理
morning: 朝 今朝 早朝 朝方 午前中 朝型 あさがた 朝派
meal: 夜ご飯 よるごはん 夜飯 お昼ご飯 昼ご飯 朝ごはん 朝ご飯 朝食 朝飯 朝めし 昼ごはん お昼ごはん 昼食 晩ごはん 夜ごはん 夕飯 夕ご飯 夕食 晩ご飯 晩飯 ディナー ランチ 昼飯 昼めし 晩めし 夜めし
spicy: 辛い物 辛いもの からいもの 辛党 辛い
birthday: 誕生日 じょうび たんじょうび たんじょび たんじょーび バースデー 生まれ うまれ 生年月日 たんおめ 誕生 お生まれ 生まれた日
height: タッパ たっぱ 何センチ なんせんち 身長 しんちょう しんちょ 背丈 せたけ 背が 背は 背って 背どの 背なん 背の 背たか 高身長 センチ cm 小柄 背
size: サイズ
shoes: 靴 くつ スニーカー
stream: 配信 はいしん 枠 生放送 生配信 ライブ配信 枠とる 放送 配信日
participation: 参加型 さんかがた 視聴者参加 リスナー参加 リスナーと遊ぶ リスナーとゲーム 視聴者と遊ぶ 視聴者とゲーム 一緒にゲームできる 参加できる配信+stream
besides: 以外 いがい 以外で 以外に 以外の のほかに の他に のほかで の他で 以外だと じゃない方 じゃないほう じゃない趣味+hobby
sensitivity: 感度 かんど dpi センシ
after: 後 終わって 終わった おわって おわった 終わり おわり 閉じた 配信後 終わってから
content_plan: 内容 企画 ネタ
release: 出す 出る 出して 出さない 出ない 発売 リリース 公開 投稿 販売 出るの 出すの
per_day: 一日 1日 一日あたり 1日あたり 一日に 1日に
stream_archive: アーカイブ アーカ 切り抜き 見逃し リアタイ
collab: コラボ
solo: ソロ配信 ソロ枠 ソロで ソロライブ 一人で ひとりで
sisters: 姉妹 しまい 三姉妹 さんしまい 3人 三人 さんにん きょうだい 妹さん 妹たち 妹 いもうと お姉ちゃん おねえちゃん 姉 3姉妹 姉妹喧嘩+fight 姉妹ゲンカ+fight 姉妹げんか+fight きょうだいげんか+fight 皆さん 三人のうち ご姉妹
eldest: 長女 年上 最年長 一番上 いちばん上 いちばんうえ 一番年上 いちばん年上 一番お姉ちゃん いちばんお姉ちゃん 上のお姉ちゃん
youngest: 末っ子 年下 最年少 一番下 いちばん下 いちばん年下
game: ゲーム げーむ ゲーマー プレイ ぷれい 遊ん 遊び ゲームタイトル 神ゲー+like 良ゲー+like クソゲー+dislike 積みゲー
fps: fps fpsゲーム エイム シューティングゲーム エフピーエス シューター シューティング
valorant: ヴァロ ヴァロラント バロラント valorant
apex: エペ エーペックス apex
cod: cod コールオブデューティ
horror: ホラー ホラゲ ほらげ 怖いゲーム こわいゲーム 怖い
mobile_game: ソシャゲ スマホゲー スマホゲーム スマホのゲーム ガチャゲー アプリゲー ソーシャルゲーム
gacha: ガチャ 引き運 爆死 ガチャ運 引き
rank: ランク ランクマ 帯 ダイヤ
character: キャラ キャラクター 登場人物 推しキャラ+like 最推しキャラ+like 持ちキャラ エージェント ピック レジェンド
device: パッド pad マウス キーマウ kbm コントローラー デバイス キーボード
anime: アニメ あにめ アニメ化 アニメ作品 映像化 アニソン+music アニメソング+music
manga: 漫画 まんが マンガ コミック
light_novel: ラノベ らのべ ライトノベル ライトノベル 小説 ノベル
book: 本 書籍 読書 よみもの 読み物
label: レーベル
genre: ジャンル 系統 何系 なに系 どんな系
author: 作家 作者
read: 読 読んで 読ん 読み よむ よみます よんでる よんでます
watch: 見て 見る 見た 観て 観る 観た 視聴 みて みる みてる 見てる 観てる 追って 追ってる 追いかけ 見とる 観とる 見よる 観よる 追っとる 追いよる 追っかけ
movie: 映画 えいが ムービー シネマ
drama: ドラマ
music: 音楽 おんがく ミュージック 楽曲 bgm プレイリスト ボカロ 曲 きょく ソング 一曲 神曲
sing: 歌う うたう うたいます うたって 歌い 歌っ 歌え 歌 うた 歌唱 歌声 うたう
artist: アーティスト 歌手 かしゅ ミュージシャン バンド シンガー
listen: 聴 聞いて 聴いて 聴く 聞く
karaoke: カラオケ からおけ
signature_song: 十八番 おはこ 定番 鉄板 持ち歌 得意曲
cover_song: 歌ってみた 歌みた カバー
original_song: オリ曲 オリジナル曲 オリジナルソング オリジナル楽曲 自分の曲 オリジナル
instrument: 楽器 がっき ピアノ ギター 弾け 弾く 弾き 演奏 ベース ドラム
practice: 練習 れんしゅう ボイトレ ボイストレーニング 発声 トレーニング 練習法 練習量+hours 練習時間+hours
routine: ルーティン ルーティーン ルーチン メニュー 日課 習慣
improve: 上達法 上手くな うまくな 強くな つよくな 良くする 良くなる 良くな よくする よくなる 上手にな 上達 うまく歌 上手く歌 上げる 上げたい 克服 上手になり 上手くなり うまくなり 歌唱力
voice: 声 こえ 声出す 声を出す 声出し 声が出
throat: 喉 のど ノド
care: ケア 手入れ 管理 守る 守るため 気をつけ 気を遣 大事にする 痛めない
color: 色 いろ カラー診断 カラーリング
nail: ネイル
hair: 髪 かみがた 髪型 ヘア
season: 季節 きせつ 四季 春夏秋冬 シーズン
summer: 夏
winter: 冬
spring: 春
autumn: 秋
animal: 動物 どうぶつ 生き物 いきもの
dog: 犬 犬派 いぬ わんこ ワンコ わんちゃん
cat: 猫 猫派 ねこ にゃんこ ニャンコ ねこちゃん
pet: ペット 飼って 飼う
bug: 虫
hobby: 趣味 しゅみ 好きなこと ハマってること ハマってる事
day_off: 何もない日 なにもない日 予定ない日 休み やすみ 休日 きゅうじつ オフ お休み 配信ない日 配信のない日 予定のない日 休みの日 おやすみの日 おやすみのひ おやすみは おやすみって おやすみに おやすみとか
sleep: 寝 ねる ねます ねてる ねてます ねむれ ねれない ねれん 就寝 布団 眠 夜ふかし 夜更かし ねるじかん お休みになる 寝落ち
wake: 起き おきます おきてる 起床 目が覚め 目を覚ま 目覚ま 目ぇ覚ま おきる おきて 朝早い 何時起き 早起き+morning 目覚まし めざまし
vtuber: vtuber バーチャルユーチューバー ユーチューバー ブイチューバー ぶいちゅーばー vチューバー v 配信者 配信活動 vtuber活動 ブイ 活動
start: 始め はじめ 始まる 始まり 初め
began: になった になろう 始めた はじめた 始めて デビュー 初配信 なろうと やろうと 決めた 開始 活動開始
superchat: スパチャ スーパーチャット すぱちゃ 投げ銭 スパチャ
bot: ボット チャットボット ぼっと 自動応答 自動返信
genuine: 本人 ご本人 ほんにん 本物 ほんもの 偽物 にせもの なりすまし 中の人
quit: やめたい 辞めたい やめよう 辞めよう やめる 辞める やめた 辞めた 引退
first: 初 はじめて 初めて 最初 一冊目 最初の一冊 入門+beginner 何から読め+beginner 何から見れ+beginner 何から始め+beginner なにから読め+beginner どれから
beginner: 初心者 しょしんしゃ 入門 ビギナー デビューしたい 初めて読む 読んだことない 読んだことのない 見たことない
advanced: 上級者 玄人
la: la エルエー ロサンゼルス ロス アメリカ 海外 向こう あっち 米国 la時代
life: 生活 暮らし 住んで 住んでた 日々 育ち 住んどった 住みよった 住んどる 暮らしよった 暮らしとった
fashion: ファッション コーデ コーディネート 服 服屋 アパレル おしゃれ 洋服 秋服 夏服 冬服 着る 着たら 着て
brand: ブランド
cosmetics: コスメ 化粧品 メイク 化粧 アイシャドウ リップ メイク道具
shop: お店 店 ショップ 服屋 屋さん
stress: ストレス イライラ いらいら 落ち込 疲れた 参って しんどい時 しんどいとき 病んだ時 疲れてる時 疲れた時 疲れたとき
refresh: リフレッシュ 発散 解消 解消法 気分転換 切り替え 元気が出 息抜き リセット
focus: 集中 しゅうちゅう 没頭 気が散 捗る
nerves: 緊張 きんちょう あがり症 ドキドキ どきどき 落ち着け 落ち着く 人前 本番前 本番 プレッシャー
work: 作業 仕事 しごと 勉強 べんきょう 勉強法 デスクワーク 在宅 在宅勤務 会社 職場 宿題 課題 レポート テスト勉強
fight: 喧嘩 ケンカ けんか げんか ゲンカ 言い合い 揉め もめ ぶつか バチバチ
makeup: 仲直り
callname: 呼び方 呼び名 呼んで 呼ぶ 呼んでる 呼び あだ名 呼べば 呼ばれ 呼んだら ニックネーム 愛称
fan_name: ファンネーム ファンネ ふぁんねむ リスナーネーム ファンの名前+callname ファンの総称+callname リスナーの総称+callname ファンの愛称+callname リスナーの愛称+callname リスナーの呼び方+callname ファンの呼び方+callname ファンのこと+callname 名乗 リスナーの呼び名+callname ファンの呼び名+callname リスナーのこと+callname リスナーさんのこと+callname 視聴者のこと+callname うちらのこと+callname 私たちのこと+callname みんなのこと+callname
english: 英語 えいご イングリッシュ english
worry: 悩み なやみ 悩ん 悩む 悩み事 心配事 しんぱいごと 心配 不安 気がかり はらはら ハラハラ ひやひや ヒヤヒヤ
motivation: やる気 やるき やる気出ない やる気が出ない やる気でない やる気が起きない やる気起きない モチベーションが上がらない モチベーション上がらない モチベが上がらない モチベ上がらない 気力が湧かない 気力がわかない 気力湧かない やる気出 やる気が出 やる気を出 モチベ もちべ モチベーション 気合い 意欲
speak: 話せる 話せます 話せ 喋れ しゃべれ 喋る しゃべる 喋って しゃべって ぺらぺら ペラペラ 流暢
weekend: 週末 しゅうまつ 土日 どにち 土曜 日曜 今週末
get_along: 仲良くなる 仲良くな なかよくなる 仲 仲良 仲いい 仲がいい 仲良し なかよし 仲良さそう
membership: メンバーシップ めんばーしっぷ メンシプ めんしぷ メン限 めん限 メンバー限定 メンバー登録 メンバー メンバーになる
order: 順番 じゅんばん 順
night: 夜 よる 夜中 深夜 夜型 よるがた 夜派 夜更かし よふかし
opinion_person: どんな子 どんな人 どういう子 どんな妹 どんな姉 どんな存在 どんな性格 どういうお姉ちゃん どんなお姉ちゃん どういう人 どういうひと どんなひと どういう姉 どういう妹 どんな方 どういう方
merch: グッズ ぐっず アクスタ 缶バッジ 公式グッズ グッズ化
present: プレゼント 誕プレ 贈り物
want: 欲しい ほしい 希望 欲しがって したい やりたい 行きたい 見たい やってみたい してみたい 挑戦したい てみたい でみたい いきたい いってみたい
ever: たことある たことあり たことが だことある だことあり だことが 経験ある 経験あり
good_thing: いいこと いい事 良いこと 良い事 楽しい たのしい 楽しかった よかった 良かった 嬉しい うれしい 大変 楽しいこと 残念
cake: ケーキ
travel: 旅行 旅 りょこう トラベル 観光
country: 国 外国
place: 場所 スポット ところ
goal: 目標
highest: 最高 さいこう 自己ベスト
permission: ていいですか ていいでしょうか ていいの てもいいですか てもいいでしょうか てもよろしいですか てもいいかな てもいいの てもいいか てもいいん てもいい ても良い てもええ ても大丈夫 てもだいじょうぶ ても平気 てもok ても構わ 許可 ガイドライン
skill_good: 得意 とくい 上手 じょうず うまい 上手い 強い つよい 腕前 スキル 腕 いける 平気 へいき 大丈夫 耐性 勝つ トップ 優勝
skill_bad: 下手 へた 弱い よわい 苦戦
luck: 運
feeling: 気持ち きもち 気分 心境 感じて 思い出 覚えて
name_word: 名前
age: 何歳 なんさい 年齢 歳
hours: 時間 じかん 何時間 なんじかん
frequency: 頻度 ペース 週何回 週に何回 何回 なんかい 何枠 週何枠
isekai: 異世界 いせかい なろう系 転生
romcom: ラブコメ 恋愛
fantasy: ファンタジー
movie_ticket: チケット
live: ライブ
photo: 写真 しゃしん
drawing: 絵 イラスト
fan_art: ファンアート ふぁんあーと ファンアト 二次創作 にじそうさく 支援絵 ファンイラスト
sport: スポーツ 運動 筋トレ
diet: ダイエット
weather: 天気 てんき 雨 晴れ
pc: パソコン pc ゲーミングpc
phone: スマホ 携帯
coffee: コーヒー 珈琲
tea: 紅茶 お茶 ハーブティー
ramen: ラーメン
subscribers: 登録者 チャンネル登録
goal_dream: 夢 将来
type_kind: タイプ 性格
into: ハマって ハマってる はまってる ハマり ハマった はまった ハマってます ハマっている 没頭 夢中
main: メイン 主に
use: 使う 使って 使ってる 使い
"""

# half weight: they narrow a question less than a topic does
# the English words fans mix in (Fav drinkは？, This weekend何する？): spaces are folded away, so these
# match inside a run of letters (favdrink); forms of one or two letters (la, v, pc) only stand alone
ENGLISH = """
like: favorite favourite fav fave
dislike: hate dislike
recommend: recommend recommendation recommended
food: food foods
sweets: sweets dessert desserts snack snacks candy
drink: drink drinks
meal: dinner lunch breakfast
color: color colour colors colours
music: music song songs
genre: genre genres
game: game games gaming
stream: stream streams streaming
weekend: weekend weekends
today: today
birthday: birthday bday
sleep: sleep bedtime
book: book books novel novels
anime: anime
manga: manga
brand: brand brands
fashion: fashion outfit outfits clothes
rank: rank ranked
karaoke: karaoke
horror: horror
stress: stress
hobby: hobby hobbies
pet: pet pets
animal: animal animals
dog: dog dogs
cat: cat cats
collab: collab collabs
next: next
now: now currently
weather: weather
worry: worry worries
"""
ENGLISH_FRAME = "this your you the are does did and for with usually"
ENGLISH_ASKS = "when: when\nwhere: where\nwhat: what whats\nwhy: why"

LIGHT = frozenset(
    {"feeling", "start", "first", "watch", "listen", "read", "place", "sing", "release", "routine"}
)
# count little against a match when a message adds them (最近好きな食べ物ある？): a question that needs
# one of them has it among its required concepts
SOFT = frozenset({"now", "this_year", "per_day", "into"}) | LIGHT
# …and these only when a question asks this: 寝る時間は何時？ and 夜何時に寝る？ ask when she sleeps, 朝何時に起きる？
# when she wakes, なんでVTuber始めたの？ why she is one
SOFT_WHEN_ASKED = {"when": frozenset({"hours", "night", "morning"}), "how": frozenset({"began"})}
# say how a thing is asked about (好き, おすすめ, 欲しい), never which thing: two wordings that share only
# these share no topic
GENERIC = frozenset({"like", "dislike", "recommend", "want", "skill_good", "skill_bad", "good_thing"}) | SOFT

# time words: a different time is a different question (今日 vs 昨日, 次 vs 前回)
TIMES = """
today: 今日 きょう 本日 今日一日 きょう一日
yesterday: 昨日 きのう 昨夜 昨晩 ゆうべ 昨日の夜
tomorrow: 明日 あした あす
next: 次 つぎ 次回 今度 こんど 来週 次に この次
previous: 前回 この前 こないだ 前の 最後に 最近の最後 先週
now: 今 いま 最近 さいきん 現在 このごろ 近頃 ここ最近 現在進行形 さっき
this_season: 今期 今クール 今シーズン
next_season: 来期 来クール
last_season: 前期
past: 今まで 今までで これまで いままで 昔 むかし 以前 かつて 子供の頃 小さい頃 去年 きょねん 昨年 当時 時代
this_year: 今年 ことし
"""

# the kind of question: a different kind is a different question (いつ vs 何 vs どこ)
ASKS = """
when: いつ いつごろ いつ頃 予定日 日にち ひにち 配信日 開催日 何月 なんがつ 何日 なんにち 何曜 なんよう 何時 なんじ 何時から 何時ごろ 何時頃 なんじごろ 日程 日時 日付 何年 なんねん
where: どこ どっか どちらに どこで どこの 何処
who: だれ 誰 どなた どの子 どいつ
why: なんで なぜ 何故 どうして 理由 きっかけ 経緯 わけ
how: どう の方法 どうやって どうしたら どうすれば どうやったら どうやれば どんなふう どんな風 コツ こつ 方法 やり方 やりかた 秘訣 アドバイス しかた 仕方 工夫 対処 対策 勉強法 上達法 練習法 対処法 解消法 どうする どうしてる いかが どないし 評価 感想 印象 どげん どげんして どげんすれば どげんしたら どがん どがんして
what: 内容 何から なにから 何を なにを なあに なに 何 なん なんの 何の どんな どういう なにを 何を なにが 何が どんなの どんなもの なにいろ なんだった 何だった なんでした 何でした どげんな どがんな
which: どっち どれ どちら どの 何派 なに派
amount: いくら おいくら 値段 ねだん いくつ 何センチ なんせんち 何cm なんcm どのくらい どれくらい どれぐらい どのぐらい どんくらい 何時間 なんじかん 何回 なんかい 何人 何歳 なんさい なんぼ 何番 どれだけ 何冊 何分 何キロ どんなもん
"""
# question words that are nouns: they ask only in a line that does not end telling
NAMED_ASKS = "予定日 日にち ひにち 配信日 開催日 方法 やり方 やりかた 理由 きっかけ 経緯 内容 コツ こつ 秘訣 アドバイス 日程 日時 日付 仕方 しかた 工夫 対処 対策 評価 感想 印象"
ASK_GROUPS = {"when": "when", "where": "where", "who": "who", "why": "how", "how": "how", "what": "what",
              "which": "what", "amount": "amount"}  # fmt: skip

# how often or how much: habits and superlatives (よく聴く, いつも飲んでる, 一番おいしい, 読むことが多い)
# stand in for 好き in a question about her favourite, unless it says 嫌い (一番苦手な…); so does asking
# which of two (犬と猫ならどっち？)
# 何回も, 何度も ("again and again": 何回も見ちゃうくらい好きな映画) ask no amount: they say how often
HABIT = "よく いつも 普段 ふだん 一番 いちばん 1番 最も もっとも ことが多い ことがおおい 何回も なんかいも 何度も なんども"

# a concept that says another without its word (今期のアニメ is now). It stands in only for a concept
# a question needs and never counts against one. Measured and left out: 好き ↔ おすすめ (fans ask
# for her favourite and for a recommendation as two questions), 料理する → food, 歌う → music.
IMPLIES = {
    "this_season": ("now",),
    "light_novel": ("book",),  # ラノベ読んでる？ says 本
    "wake": ("morning",),
    "signature_song": ("karaoke", "music"),  # 十八番は？ asks for the song she always sings at karaoke
}
# a habit stands in for 好き, unless the message says it dislikes something (一番苦手な…)
STANCE = frozenset({"like", "recommend"})

# a thing and the kinds of it a fan may name: two questions about it that name different kinds (or one
# a kind and the other none) ask two things: 次の歌枠いつ？ is not 次の配信いつ？, whose answer may be a game,
# and 次の三姉妹配信いつ？ is not either
KINDS = {
    "stream": frozenset({"sing", "karaoke", "game", "fps", "apex", "valorant", "horror", "mobile_game", "gacha", "collab",
                         "solo", "sisters", "participation", "book", "light_novel", "manga", "anime", "movie", "cover_song", "original_song"}),
}  # fmt: skip

# what she does now and what a newcomer should start with are two questions, however alike the words:
# 今なに読んでる？ is not 初めて読むならどれがいい？ (one side names one set and not the other); nor is
# having been somewhere wanting to go
APART = (
    (frozenset({"now"}), frozenset({"first", "beginner"})),
    (frozenset({"now"}), frozenset({"next"})),
    (frozenset({"ever"}), frozenset({"want"})),  # ブラジル行ったことある？ and ブラジル行ってみたい？
)

# said on one side only, these always ask another question: 描いてもいい？ is not 絵描く？, 苦手な食べ物 not 好物,
# 読書以外の趣味 not 読書中の本
TURNS = frozenset({"permission", "dislike", "besides"})

# things measured: asking what they are and how much they are is one question (ランク何？ = ランクいくつ？,
# 感度何にしてる？ = 感度なんぼ？, 身長どのくらい？ = 身長は？)
MEASURES = frozenset({"rank", "sensitivity", "height", "age"})

# things that are times: asking when and asking which are one question (好きな季節はいつ？ = どの季節が好き？)
TIMELIKE = frozenset({"season"})

# asking without a question word: 教えて, 知りたい (compatible with any kind of question)
# (予定ある？ 決まってる？ ask for the plan, not yes or no)
REQUEST = "予定 計画 決まって 決まった 決まり 教えまっし おしえまっし 聞かせまっし きかせまっし 教えてしまい おしえてしまい 教えとくれ おしえとくれ 教えでけ おしえでけ 教えてけ おしえてけ 教えてけろ おしえてけろ 教えでけろ おしえでけろ 教えてほしい 教えて欲しい おしえてほしい 教えてもらえ 教えてもらいた 聞かせてほしい 聞かせて欲しい 紹介してほしい 紹介して欲しい 教えて おしえて 教えてください 知りたい しりたい 知りたか しりたか 知りとう 聞きたい ききたい 聞きたか 気にな きにな 伺 うかが 聞かせて きかせて ください ちょうだい 頂け いただけ お聞き 質問"

# negation of what is asked (見ない, 好きじゃない). A bare final ない is an ask (おすすめない？), not this.
NEGATIONS = (
    "じゃない じゃなく じゃなかった ではない ではなく ではありません くない くなかった しない しなかった "
    "できない できなかった られない れない ません なかった ないの ないん ないで ないこと ないもの ない物 ないやつ ない日 ない時 ないとき れん時 れんとき せん時 せんとき らん時 らんとき かん時 かんとき ずに しよらん しとらん やらん やっとらん してへん やってへん せえへん"
)

# who the question is about, besides her: the fan (私は …); another sister is found by her name
FAN = "小生は 小生の 小生も 俺 私は 私の 私も わたしは わたしの わたしも 僕は 僕の 僕も ぼくは ぼくの ぼくも 俺は 俺の 俺も おれは おれの おれも うちは うちの あたしは あたしの あたしも 自分は"

# words that frame a question and say nothing about what it asks (they are explained, weight 0)
FRAME = """
なんじゃけど なんじゃけえ なんじゃけ なんじゃが そういえば そういや そう言えば 参考に 参考までに 参考にしたい おはこんばんちは おはこんばんにちは おはこんにちばんは こんばんわんこ こんばんにゃんこ 背負 せおい せおう せおって
ねえねえ ねえね ねえ ねぇ ね てか てかさ ちなみに ところで そもそも ぶっちゃけ ずばり 実際 結局 まじ マジ まじで めっちゃ めちゃ すごく とても ちょっと ちょっとだけ
いつも 普段 ふだん よく 毎日 毎朝 毎晩 毎回 大体 だいたい 基本 基本的に 平日 絶対 必ず 特に とくに 一番 いちばん 最も もっとも 1番
ある あり あります ありますか ありません ない いる います いますか いない 居る する して した します しますか してる してた してる してます していますか しています していました
される されて された されてる されています されていますか されました されましたか なさって なさっていた
やる やって やった やってる やってます やってん やってんの やり やれ やれる できる できます できますか でき 出来る 出来
なる なって なった なり なれ 行く 行っ いく いっ いった 来る
です でした ですか でしょう でしょうか でしょ ます ました ましたか ますか だ だっけ だった だったっけ だよ だね なの なん なんだ なんです なんですか なんでしょう なのか
か かな かなあ かね の ので のが のは のも のって のか んだ んです んですか んでしょう ん よ よね わ ぞ ぜ さ ってさ って っての とは は が を に で と も や へ から まで より など とか なんか なにか 何か 何も なんでも 何でも 何時間も なんじかんも 何年も 何日も
ちゃん さん さま 様 くん たん 氏 的 的に 流 目線 から見て からみて にとって
孫 孫娘 お孫さん 家内 妻 嫁 女房 主人 旦那 夫 息子 娘 うちの子 小生 私め
いい よい いいの いいか いいかな いいですか いいでしょう よろしい よろしいですか
思う 思います 思って 思った おもう 言う 言って 言ってた いって 聞く 聞いて 感じ かんじ 感じる 的な意味で
もの 物 こと 事 やつ ヤツ の方 ほう 方 ひと 人 みんな 皆 自分 自身 ご自身 そっち あなた きみ キミ
それとも または それ これ あれ この その あの こういう そういう どうなの どうなん
最近は 今は ほんと 本当 ほんとう ガチ ガチで 正直 ずっと もう まだ また 全部 いろいろ 色々 いっぱい たくさん
おやすみ おやすみなさい おやすみん
しよる しよった りよる みよる きよる べよる びよる いよる はじめまして 初めまして こんにちは こんばんは ございます ございま おはよう おつかれ お疲れ おつ 乙 失礼 失礼します すみません
になったり になったら うん うんうん ほうほう ふむふむ ふーん あ え えっ へえ ほう おお お なるほど そうなんだ そうでしたか そうですか そうなのですか そっか あはは 笑 w ｗ 草
教えてくれた 教えてくれて 教えていただいた 教えていただいて 教えてもらった 教えてもらって おしえてくれた おしえてもらった
多い 少ない 気になる 気になって 気になります きになる 気になり始め 気になりはじめ 気になりだし 気になってきた きになりはじめ
いつまで とき 時 ている 派 予定 計画 つもり お祝い 祝い タイトル 過ごし 過ごす 過ごして 過ごされ 日 てん てんの なんな なんなん だろ だろう ような ように すれば ばいい ればいい たら ったら 中 向け った ため いらっしゃ 進め 決ま 決まって 話題 作品 いろんな 放送中 すると なら ならば しか だけ くらい ぐらい 頃 ごろ ていた ている て てる てた ちゃう ちゃった たい たく れる られ せる けど
"""
