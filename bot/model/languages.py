"""Languages summaries can be written in (ISO 639-1 codes)."""

from __future__ import annotations

LANGUAGES: dict[str, str] = {
    "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali", "ca": "Catalan", "cs": "Czech",
    "da": "Danish", "de": "German", "el": "Greek", "en": "English", "es": "Spanish",
    "et": "Estonian", "fa": "Persian", "fi": "Finnish", "fr": "French", "he": "Hebrew",
    "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "id": "Indonesian", "it": "Italian",
    "ja": "Japanese", "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "ms": "Malay",
    "nl": "Dutch", "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian",
    "ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "sr": "Serbian", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian",
    "ur": "Urdu", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip

_BY_NAME = {name.lower(): code for code, name in LANGUAGES.items()}


def language_code(text: str) -> str | None:
    """``de``, ``DE``, ``de-AT``, ``German`` -> ``de``; None when unknown."""
    lowered = text.strip().lower().replace("_", "-")
    base = lowered.split("-", 1)[0]
    if base in LANGUAGES:
        return base
    return _BY_NAME.get(lowered)
