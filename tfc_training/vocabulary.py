"""The fixed lists the whole product speaks in: sectors, event types and languages.

Slugs and codes are stable: they appear in URLs, feeds, imports and reports, so a
label may be reworded or translated but a slug is never renamed.
"""

from flask_babel import lazy_gettext as _l

#: The eight stakeholder sectors a TFC engages, in the network's own order.
SECTORS = {
    "schools": _l("Schools"),
    "local-business": _l("Local business"),
    "consumers": _l("Consumers"),
    "media": _l("Media"),
    "faith-ngo": _l("Faith communities and NGOs"),
    "first-responders": _l("First responders"),
    "law-enforcement": _l("Law enforcement"),
    "legislatures": _l("Local legislatures"),
}

SECTOR_DESCRIPTIONS = {
    "schools": _l("Teachers, parents, students and administrators"),
    "local-business": _l("Employers, supply chains and fair-trade stock"),
    "consumers": _l("Residents as buyers of goods and services"),
    "media": _l("Local press, radio, television and online media"),
    "faith-ngo": _l("Congregations, faith groups and non-profit organisations"),
    "first-responders": _l("Fire, EMS and hospital staff"),
    "law-enforcement": _l("Police, prosecutors and judges"),
    "legislatures": _l("City councils, county and state representatives"),
}

EVENT_TYPES = {
    "awareness": _l("Awareness event"),
    "stakeholder-training": _l("Stakeholder training"),
    "workshop": _l("Leadership workshop"),
    "listening-group": _l("Listening group"),
    "campaign": _l("Campaign"),
    "tfc-meeting": _l("TFC meeting"),
    "stakeholder-meeting": _l("Stakeholder meeting"),
}

#: Languages events are held in, written in their own script so that a speaker
#: recognises theirs whatever the interface language is.
LANGUAGES = {
    "en": "English",
    "es": "Español",
    "zh": "中文",
    "ko": "한국어",
    "tl": "Tagalog",
    "hy": "Հայերեն",
    "vi": "Tiếng Việt",
    "fa": "فارسی",
    "ru": "Русский",
    "ja": "日本語",
    "ar": "العربية",
    "km": "ខ្មែរ",
}
