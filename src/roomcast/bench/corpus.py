"""Chat-like text for the search benchmark, the same for the same seed.

English sentences draw their words from one ranked vocabulary with Zipf-like frequencies (the
word of rank r about 1/r as often as the first): a few hundred everyday chat words, then a long
tail of made-up words built from English syllables, so that most words are rare and a few are
in every other message. Some messages add a URL, a code snippet or numbers; about 10 % are
Japanese, Chinese or Korean (everyday words, then a tail of compounds of common characters,
Zipf-ranked too). Only the text is made here; `search_fill` lays it out in rooms.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass


def _words(text: str) -> list[str]:
    return text.split()


COMMON = _words(
    """
the i to you a and it is that of in for we this on be can just so but not do have with are my
if at was what me all it's i'm will get there like no up out think don't know about yes ok okay
now one how they good time when then from or your an as go did see thanks lol need would should
could today here also new work some more make sure still yeah let's right going because back got
any really which want way day who look been them why well over fix after only too other first
people thing things build test tomorrow into meeting call last try doing maybe before never again
much help tonight week yesterday issue update check those great done problem these their our us
even please code team nice review change release morning something hey hi hello works working
branch merge deploy server error bug feature data file files link page api client users user
version next lunch coffee weekend friday monday open close already pretty same since long ever
best around every without while many through down off another though anyone everyone someone
nothing anything everything where has had were being very sorry cool awesome thank guys home
office remote plan later soon early late quick small big little wait sending sent send message
chat room channel question answer idea agree exactly probably actually basically honestly
definitely seems looks sounds feel happy tired busy free hour hours minutes minute break start
started finish finished stuff pull request commit push tests failing passed passing broken green
red ticket sprint standup demo customer support design docs document notes slides screen share
shared logs log config settings database query cache memory disk cpu network latency timeout
retry crash restart install upgrade python javascript rust docker kubernetes cluster staging
production prod local machine laptop phone email calendar schedule tuesday wednesday thursday
saturday sunday month year evening night dinner pizza train bus traffic weather rain sunny cold
hot game movie music book trip holiday vacation birthday party family kids dog cat
"""
)

_ONSETS = _words("b c d f g h j k l m n p r s t v w z b c d l m n p r s t br ch cl dr fl gr pl pr sh st th tr")
_VOWELS = _words("a e i o u a e i o u ai ea ee ou oa")
_CODAS = ["", "", "", "", "", "n", "r", "l", "s", "t", "m", "nd", "nt", "st", "ck", "ng"]

_DOMAINS = _words(
    "github.com gitlab.com docs.python.org stackoverflow.com en.wikipedia.org example.com "
    "news.ycombinator.com youtube.com drive.google.com jira.example.org grafana.internal"
)
_ERRORS = _words("TypeError ValueError KeyError TimeoutError ConnectionResetError AssertionError")

JA_WORDS = _words(
    "今日 明日 昨日 会議 資料 確認 東京 大阪 電車 会社 天気 昼ご飯 サーバー データベース テスト リリース "
    "バグ 修正 共有 予定 週末 写真 映画 音楽 旅行 友達 家族 プロジェクト ミーティング レビュー デプロイ "
    "エラー ログ 設定 新しい機能 対応 作業 お客様 画面 仕様 本番環境 来週 先週 時間 場所 連絡"
)
JA_PARTICLES = _words("は が を に で と も の から まで")
JA_ENDINGS = _words(
    "します しました ですか ですね でした お願いします 確認します 対応します 大丈夫です "
    "ありがとうございます 遅れます 終わりました 始めます 見ました 送りました"
)
JA_CHARACTERS = (
    "日本人大年中出時行見月分後前生五間上東四今金九入学高円子外八六下来気小七山話女北午百書先名川千水半"
    "男西電校語土木聞食車何南万毎白天母火右読友左休父雨会社員事業者地方国内長新部場所手自目体心力多少明"
    "田首最理性化物品"
)
ZH_WORDS = _words(
    "今天 明天 昨天 会议 文件 确认 北京 上海 服务器 数据库 测试 发布 问题 修复 周末 照片 电影 音乐 "
    "旅行 朋友 家人 项目 代码 客户 时间 部署 错误 日志 配置 功能 完成 需要 检查 讨论 准备 更新 我们 "
    "你们 他们 已经 还没 一下 可以 应该 下午 晚上 地址 版本"
)
ZH_LINKS = _words("的 了 在 和 把 给 跟 也 都")
ZH_ENDINGS = _words("吗 吧 了 啊 呢 好的 没问题 谢谢")
ZH_CHARACTERS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产"
    "种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从"
    "业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原"
)
KO_WORDS = _words(
    "오늘 내일 어제 회의 자료 확인 서울 부산 지하철 회사 날씨 점심 서버 데이터베이스 테스트 배포 버그 "
    "수정 공유 일정 주말 사진 영화 음악 여행 친구 가족 프로젝트 리뷰 에러 로그 설정 기능 작업 완료 "
    "고객 화면 다음주 지난주 시간 장소 연락"
)
KO_PARTICLES = _words("은 는 이 가 을 를 에서 에 도 와")
KO_ENDINGS = _words("했어요 합니다 할까요 했습니다 좋아요 있어요 없어요 해주세요 부탁드립니다 감사합니다 괜찮아요")
_KO_INITIALS = range(19)
_KO_MEDIALS = (0, 1, 4, 6, 8, 13, 18, 20)  # ㅏ ㅐ ㅓ ㅕ ㅗ ㅜ ㅡ ㅣ
_KO_FINALS = (0, 0, 0, 4, 8, 16, 21, 1)  # none, ㄴ ㄹ ㅁ ㅇ ㄱ

EXPONENT = 1.1
CJK_MARKS = ("\u3002", "\uff01", "\uff1f", "")  # ideographic full stop, full-width ! and ?
CJK_LANGUAGES = ("ja", "zh", "ko")
# Of 1,000 messages: Japanese, Chinese, Korean; then English ones with a URL, code or numbers.
SHARES = {"ja": 40, "zh": 35, "ko": 25, "url": 70, "code": 50, "numbers": 110}


@dataclass(frozen=True)
class Vocabulary:
    """Words by rank, the word of rank r drawn with a probability proportional to 1/(r + 2)^1.1
    (with this exponent the first 100 words make half of the text, the first 10,000 nine
    tenths, about as in English)."""

    words: tuple[str, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def ranked(cls, words: Sequence[str], exponent: float = EXPONENT) -> Vocabulary:
        return cls(tuple(words), tuple(itertools.accumulate(1 / (r + 2) ** exponent for r in range(len(words)))))

    def draw(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def share(self, rank: int) -> float:
        """The chance that one draw is the word of `rank`."""
        first = self.cumulative[rank - 1] if rank else 0.0
        return (self.cumulative[rank] - first) / self.cumulative[-1]


def made_up_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < count:
        syllables = rng.choice((2, 2, 2, 3, 3))
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables))
        if word not in taken:
            words[word] = None
    return list(words)


def compounds(rng: random.Random, characters: Sequence[str], count: int, taken: set[str]) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < count:
        word = "".join(rng.choices(characters, k=rng.choice((2, 2, 3))))
        if word not in taken:
            words[word] = None
    return list(words)


def hangul_syllables() -> list[str]:
    return [chr(0xAC00 + (i * 21 + m) * 28 + f) for i in _KO_INITIALS for m in _KO_MEDIALS for f in set(_KO_FINALS)]


class Corpus:
    """`message(rng)` is one message's text and its language ("en", "ja", "zh", "ko")."""

    def __init__(self, seed: int = 15, tail: int = 60_000, cjk_tail: int = 4_000) -> None:
        rng = random.Random(seed)
        common = list(dict.fromkeys(COMMON))
        self.english = Vocabulary.ranked(common + made_up_words(rng, tail, set(common)))
        self.head = len(common)
        syllables = hangul_syllables()
        self.cjk = {
            "ja": Vocabulary.ranked(JA_WORDS + compounds(rng, JA_CHARACTERS, cjk_tail, set(JA_WORDS))),
            "zh": Vocabulary.ranked(ZH_WORDS + compounds(rng, ZH_CHARACTERS, cjk_tail, set(ZH_WORDS))),
            "ko": Vocabulary.ranked(KO_WORDS + compounds(rng, syllables, cjk_tail, set(KO_WORDS))),
        }
        self._kinds = (*SHARES, "plain")
        self._kind_weights = tuple(itertools.accumulate((*SHARES.values(), 1000 - sum(SHARES.values()))))
        self.english_words = 0  # English words drawn so far: how often a word of a rank has come

    def message(self, rng: random.Random) -> tuple[str, str]:
        kind = rng.choices(self._kinds, cum_weights=self._kind_weights)[0]
        if kind in CJK_LANGUAGES:
            return kind, self._cjk(rng, kind)
        text = self._sentences(rng)
        if kind == "url":
            text = f"{text} {self._url(rng)}" if rng.random() < 0.7 else f"{self._url(rng)} {text}"
        elif kind == "code":
            text = f"{text} {self._code(rng)}"
        elif kind == "numbers":
            text = f"{text} {self._numbers(rng)}"
        return "en", text

    def expected_matches(self, rank: int) -> float:
        """How many of the messages made so far hold the English word of `rank` (as a word)."""
        return self.english_words * self.english.share(rank)

    def rank_for(self, matches: float) -> int:
        """The English rank of a word expected in about `matches` of the messages made so far."""
        low, high = 0, len(self.english.words) - 1
        while low < high:
            middle = (low + high) // 2
            if self.expected_matches(middle) > matches:
                low = middle + 1
            else:
                high = middle
        return low

    def _draw(self, rng: random.Random, count: int) -> list[str]:
        self.english_words += count
        return self.english.draw(rng, count)

    def _sentences(self, rng: random.Random) -> str:
        parts = []
        for _ in range(1 if rng.random() < 0.75 else 2):
            words = self._draw(rng, min(30, 1 + int(rng.expovariate(1 / 6))))
            if rng.random() < 0.7:
                words[0] = words[0].capitalize()
            if rng.random() < 0.03:
                words.insert(rng.randrange(len(words) + 1), f"@user{rng.randrange(1000):04d}")
            parts.append(" ".join(words) + rng.choice((".", ".", "", "!", "?", "...")))
        return " ".join(parts)

    def _url(self, rng: random.Random) -> str:
        path = "/".join(self._draw(rng, rng.randint(1, 3)))
        suffix = rng.choice(("", "", f"?id={rng.randrange(100_000)}", f"#L{rng.randrange(1, 900)}"))
        return f"https://{rng.choice(_DOMAINS)}/{path}{suffix}"

    def _code(self, rng: random.Random) -> str:
        first, second, third = (w.replace("'", "") for w in self._draw(rng, 3))
        name = f"{first}_{second}"
        shape = rng.randrange(4)
        if shape == 0:
            return f"`{name}({rng.randrange(1000)})`"
        if shape == 1:
            return f"```\n{name} = {third}.get({first!r}, {rng.randrange(100)})\nreturn {name}\n```"
        if shape == 2:
            return f"{rng.choice(_ERRORS)}: {first} {second} is not {third} (line {rng.randrange(1, 500)})"
        return f"`{first}{second.capitalize()}.{third}()`"

    def _numbers(self, rng: random.Random) -> str:
        shape = rng.randrange(6)
        if shape == 0:
            return f"ticket #{rng.randrange(10_000, 99_999)}"
        if shape == 1:
            return f"v{rng.randrange(4)}.{rng.randrange(30)}.{rng.randrange(12)}"
        if shape == 2:
            return f"at {rng.randrange(24):02d}:{rng.randrange(60):02d}"
        if shape == 3:
            return f"{rng.randrange(1, 2000)} ms"
        if shape == 4:
            return f"{rng.randrange(101)}%"
        return f"${rng.randrange(5000)}.{rng.randrange(100):02d}"

    def _cjk(self, rng: random.Random, language: str) -> str:
        vocabulary = self.cjk[language]
        pairs = 1 + int(rng.expovariate(1 / 2.5))
        words = vocabulary.draw(rng, pairs)
        if language == "ja":
            body = "".join(w + rng.choice(JA_PARTICLES) for w in words) + rng.choice(JA_ENDINGS)
            return body + rng.choice(CJK_MARKS)
        if language == "zh":
            body = "".join(w + (rng.choice(ZH_LINKS) if rng.random() < 0.5 else "") for w in words)
            return body + rng.choice(ZH_ENDINGS) + rng.choice(CJK_MARKS)
        body = " ".join(w + rng.choice(KO_PARTICLES) for w in words)
        return f"{body} {rng.choice(KO_ENDINGS)}" + rng.choice((".", "?", "!", ""))


def windows(text: str, size: int = 3) -> list[str]:
    """The runs of `size` letters or digits in `text` (parts of words, never across a space)."""
    found = []
    for word in text.split():
        for start in range(len(word) - size + 1):
            run = word[start : start + size]
            if all(ch.isalnum() for ch in run):
                found.append(run)
    return found
