"""The IFEval oracle: for each prompt, a response that follows all of its instructions, built
from the instructions' kwargs and verified with the checkers (so `--model oracle` scores 1.0
only if the checkers agree). A search over a few sizes (sentences, words, paragraphs) keeps the
first response that passes every instruction strictly.
"""
from __future__ import annotations

import json
import re
from typing import Sequence

from benchgate.ifeval.checkers import follows

# plain English filler words: no capitals, no commas, no common IFEval keyword
VOCAB = ("river stone garden morning window basket yellow quiet simple paper travel market bright "
         "music summer forest little orange planet silver ocean valley candle button pocket").split()
# two sentences (no commas) in each language an IFEval prompt asks for
FOREIGN = {
    "ar": "هذا نص مكتوب باللغة العربية فقط. نحن نحب القراءة في المساء مع العائلة.",
    "bg": "Това е текст написан изцяло на български език. Обичаме да четем книги вечер у дома.",
    "bn": "এটি সম্পূর্ণ বাংলা ভাষায় লেখা একটি লেখা। আমরা সন্ধ্যায় পরিবারের সাথে বই পড়তে ভালোবাসি।",
    "de": "Das ist ein Text der ganz auf Deutsch geschrieben ist. Wir lesen am Abend gern Bücher mit der Familie.",
    "fa": "این یک متن است که کاملا به زبان فارسی نوشته شده است. ما دوست داریم شب ها با خانواده کتاب بخوانیم.",
    "fi": "Tämä on teksti joka on kirjoitettu kokonaan suomeksi. Luemme mielellämme kirjoja illalla perheen kanssa.",
    "gu": "આ સંપૂર્ણપણે ગુજરાતી ભાષામાં લખાયેલું લખાણ છે. અમને સાંજે પરિવાર સાથે પુસ્તકો વાંચવાનું ગમે છે.",
    "hi": "यह पूरी तरह से हिंदी भाषा में लिखा गया एक पाठ है। हमें शाम को परिवार के साथ किताबें पढ़ना अच्छा लगता है।",
    "it": "Questo è un testo scritto interamente in lingua italiana. Ci piace leggere libri la sera con la famiglia.",
    "kn": "ಇದು ಸಂಪೂರ್ಣವಾಗಿ ಕನ್ನಡ ಭಾಷೆಯಲ್ಲಿ ಬರೆದ ಪಠ್ಯವಾಗಿದೆ. ನಮಗೆ ಸಂಜೆ ಕುಟುಂಬದೊಂದಿಗೆ ಪುಸ್ತಕ ಓದಲು ಇಷ್ಟ.",
    "ko": "이것은 완전히 한국어로 쓰인 글입니다. 우리는 저녁에 가족과 함께 책을 읽는 것을 좋아합니다.",
    "mr": "हा संपूर्णपणे मराठी भाषेत लिहिलेला मजकूर आहे. आम्हाला संध्याकाळी कुटुंबासोबत पुस्तके वाचायला आवडतात.",
    "ne": "यो पूर्ण रूपमा नेपाली भाषामा लेखिएको पाठ हो। हामीलाई साँझ परिवारसँग किताब पढ्न मन पर्छ।",
    "pa": "ਇਹ ਪੂਰੀ ਤਰ੍ਹਾਂ ਪੰਜਾਬੀ ਭਾਸ਼ਾ ਵਿੱਚ ਲਿਖਿਆ ਗਿਆ ਪਾਠ ਹੈ। ਸਾਨੂੰ ਸ਼ਾਮ ਨੂੰ ਪਰਿਵਾਰ ਨਾਲ ਕਿਤਾਬਾਂ ਪੜ੍ਹਨਾ ਪਸੰਦ ਹੈ।",
    "pt": "Este é um texto escrito inteiramente em língua portuguesa. Nós gostamos de ler livros à noite com a família.",
    "ru": "Это текст который полностью написан на русском языке. Мы любим читать книги вечером всей семьёй.",
    "sw": "Haya ni maandishi yaliyoandikwa kwa lugha ya Kiswahili pekee. Tunapenda kusoma vitabu jioni pamoja na familia.",
    "ta": "இது முழுவதும் தமிழ் மொழியில் எழுதப்பட்ட உரை ஆகும். நாங்கள் மாலையில் குடும்பத்துடன் புத்தகம் படிக்க விரும்புகிறோம்.",
    "te": "ఇది పూర్తిగా తెలుగు భాషలో రాసిన పాఠం. మాకు సాయంత్రం కుటుంబంతో కలిసి పుస్తకాలు చదవడం ఇష్టం.",
    "th": "นี่คือข้อความที่เขียนเป็นภาษาไทยทั้งหมด เราชอบอ่านหนังสือกับครอบครัวในตอนเย็น",
    "ur": "یہ مکمل طور پر اردو زبان میں لکھا گیا متن ہے۔ ہمیں شام کو خاندان کے ساتھ کتابیں پڑھنا پسند ہے۔",
    "vi": "Đây là một văn bản được viết hoàn toàn bằng tiếng Việt. Chúng tôi thích đọc sách cùng gia đình vào buổi tối.",
}


def _spec(ids: Sequence[str], kwargs: Sequence[dict]) -> dict:
    spec: dict = {"ids": set(ids)}
    for iid, kw in zip(ids, kwargs):
        spec.setdefault(iid, []).append(kw)
    return spec


def _vocab(spec: dict) -> list[str]:
    banned = [w for kw in spec.get("keywords:forbidden_words", []) for w in kw["forbidden_words"]]
    banned += [kw["keyword"] for kw in spec.get("keywords:frequency", [])]
    banned += [k for kw in spec.get("keywords:existence", []) for k in kw["keywords"]]
    low_letters = [kw["letter"].lower() for kw in spec.get("keywords:letter_frequency", [])
                   if kw["let_relation"] == "less than"]
    words = [w for w in VOCAB if not any(re.search(b, w, flags=re.IGNORECASE) for b in banned)
             and not any(ch in w for ch in low_letters)]
    return words or ["mmm"]


def _sentences(n: int, words_per: int, vocab: list[str], offset: int) -> list[str]:
    out = []
    for i in range(n):
        words = [vocab[(offset + i * words_per + j) % len(vocab)] for j in range(words_per)]
        out.append(" ".join(words).capitalize() + ".")
    return out


def build(spec: dict, prompt: str, n_sent: int, words_per: int, n_par: int, variant: int) -> str:
    """One candidate response for the sizes given."""
    ids = spec["ids"]
    vocab = _vocab(spec)
    lang = next((kw["language"] for kw in spec.get("language:response_language", [])), "en")
    extras: list[str] = []
    for kw in spec.get("keywords:existence", []):
        extras += kw["keywords"]
    for kw in spec.get("keywords:frequency", []):
        if kw["relation"] == "at least":
            extras += [kw["keyword"]] * kw["frequency"]
    for kw in spec.get("keywords:letter_frequency", []):
        if kw["let_relation"] == "at least":
            extras.append(kw["letter"] * kw["let_frequency"])
    for kw in spec.get("change_case:capital_word_frequency", []):
        if kw["capital_relation"] == "at least" and "change_case:english_lowercase" not in ids:
            extras += ["WOW"] * kw["capital_frequency"]
    highlights = max((kw["num_highlights"] for kw in spec.get("detectable_format:number_highlighted_sections", [])),
                     default=0)
    extras += [f"*part {i + 1}*" for i in range(highlights)]
    placeholders = max((kw["num_placeholders"] for kw in spec.get("detectable_content:number_placeholders", [])),
                       default=0)
    extras += [f"[place {i + 1}]" for i in range(placeholders)]

    if lang != "en":
        base = FOREIGN[lang].split(" ")
        body_sentences = [" ".join(base)] * max(1, n_sent // 2)
    else:
        body_sentences = _sentences(n_sent, words_per, vocab, variant)
    if extras:
        body_sentences[0] = body_sentences[0][:-1] + " " + " ".join(extras) + "."

    # paragraphs / sections / bullets
    paragraphs = [body_sentences[i::n_par] for i in range(n_par)]
    paragraphs = [" ".join(p) for p in paragraphs if p]
    nth = spec.get("length_constraints:nth_paragraph_first_word", [])
    if nth:
        kw = nth[0]
        while len(paragraphs) < kw["num_paragraphs"]:
            paragraphs.append(paragraphs[-1])
        paragraphs = paragraphs[: kw["num_paragraphs"]]
        i = kw["nth_paragraph"] - 1
        paragraphs[i] = kw["first_word"] + " " + paragraphs[i]
    sections = spec.get("detectable_format:multiple_sections", [])
    if sections:
        kw = sections[0]
        while len(paragraphs) < kw["num_sections"]:
            paragraphs.append(paragraphs[-1])
        paragraphs = [f"{kw['section_spliter']} {i + 1}\n{p}" for i, p in enumerate(paragraphs)]
    npar = spec.get("length_constraints:number_paragraphs", [])
    if npar:
        want = npar[0]["num_paragraphs"]
        while len(paragraphs) < want:
            paragraphs.append(paragraphs[-1] + " again")
        paragraphs = paragraphs[:want]
        body = "\n***\n".join(paragraphs)
    else:
        body = "\n\n".join(paragraphs)
    bullets = spec.get("detectable_format:number_bullet_lists", [])
    if bullets:
        body += "\n" + "\n".join(f"* point {i + 1}" for i in range(bullets[0]["num_bullets"]))
    if "detectable_format:constrained_response" in ids:
        body = "My answer is yes. " + body
    if "detectable_format:title" in ids:
        body = "<<a simple title>>\n" + body
    for kw in spec.get("detectable_content:postscript", []):
        body += "\n" + ("p.p.s" if kw["postscript_marker"] == "P.P.S" else "p.s.") + " " + vocab[0] + " " + vocab[-1]
    for kw in spec.get("startend:end_checker", []):
        body += "\n" + kw["end_phrase"]

    text = body
    if "combination:two_responses" in ids:
        text = body + "\n******\n" + body + " " + vocab[1 % len(vocab)]
    if "punctuation:no_comma" in ids:
        text = text.replace(",", "")
    for kw in spec.get("combination:repeat_prompt", []):
        text = kw["prompt_to_repeat"] + "\n" + text  # verbatim, commas included
    if "change_case:english_lowercase" in ids:
        text = text.lower()
    if "change_case:english_capital" in ids:
        text = text.upper()
    if "detectable_format:json_format" in ids:
        text = json.dumps({"response": text}, ensure_ascii=False)
    if "startend:quotation" in ids:
        text = f'"{text}"'
    return text


def _sentence_targets(spec: dict) -> list[int]:
    lo, hi = 1, 60
    for kw in spec.get("length_constraints:number_sentences", []):
        if kw["relation"] == "less than":
            hi = min(hi, kw["num_sentences"] - 1)
        else:
            lo = max(lo, kw["num_sentences"])
    for kw in spec.get("length_constraints:number_words", []):
        if kw["relation"] == "at least":
            lo = max(lo, kw["num_words"] // 12 + 2)
    return [n for n in (lo, lo + 1, lo + 2, hi, (lo + hi) // 2, 1, 2, 3) if 1 <= n <= max(hi, 1)]


def _words_per(spec: dict, n_sent: int) -> list[int]:
    sizes = [12, 8, 4, 20]
    for kw in spec.get("length_constraints:number_words", []):
        if kw["relation"] == "at least":
            sizes.insert(0, kw["num_words"] // max(1, n_sent) + 3)
    return list(dict.fromkeys(sizes))


def _search(ids, kwargs, prompt, loose: bool) -> str | None:
    spec = _spec(ids, kwargs)
    for n_sent in dict.fromkeys(_sentence_targets(spec)):
        for words_per in _words_per(spec, n_sent):
            for n_par in (1, 2, 3):
                for variant in (0, 5):
                    text = build(spec, prompt, n_sent, words_per, n_par, variant)
                    if all(follows(ids, kwargs, text, loose=loose)):
                        return text
    return None


def unsatisfiable_strictly(ids: Sequence[str], kwargs: Sequence[dict]) -> list[str]:
    """Instructions no response can follow strictly together with repeat_prompt: the prompt to
    repeat (which the response must start with) already breaks them (a comma under no_comma, a
    forbidden word, a keyword at least as often as "less than" allows)."""
    repeat = next((kw["prompt_to_repeat"] for iid, kw in zip(ids, kwargs) if iid == "combination:repeat_prompt"), None)
    if repeat is None:
        return []
    out = []
    for iid, kw in zip(ids, kwargs):
        if iid in ("punctuation:no_comma", "keywords:forbidden_words") or \
                (iid == "keywords:frequency" and kw["relation"] == "less than"):
            if not follows([iid], [kw], repeat)[0]:
                out.append(iid)
    return out


def oracle_response(ids: Sequence[str], kwargs: Sequence[dict], prompt: str) -> str | None:
    """A response that follows every instruction strictly; where that is impossible
    (`unsatisfiable_strictly`), one that follows every instruction loosely (the prompt to repeat
    alone on the first line). None if the search finds neither."""
    return _search(ids, kwargs, prompt, loose=False) or _search(ids, kwargs, prompt, loose=True)
