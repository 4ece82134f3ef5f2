"""vCards: 2.1 (quoted-printable, CHARSET, inline base64 photo), 3.0 (Apple groups, item1.
property groups, SOGo's X-ABADR), 4.0 (ALTID, PREF, KIND:group with MEMBER, data: URI),
cards without UID, several cards in one file, lower-case names."""

from __future__ import annotations

import base64

from spec import Spec, text

#: Made-up image bytes (a JPEG's start and end markers around a counting pattern).
FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 3 + b"\xff\xd9"
B64 = base64.b64encode(FAKE_JPEG).decode()


def _chunks(data: str, size: int) -> list[str]:
    return [data[n : n + size] for n in range(0, len(data), size)]


# fmt: off
CARD_FILES = [
    text("vcf/vcard21/quoted-printable.vcf", "ok", "vcard:2.1 qp charset:utf-8 uid:missing",
         "2.1 with CHARSET=UTF-8 and QUOTED-PRINTABLE, a soft line break", """
BEGIN:VCARD
VERSION:2.1
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller
TEL;CELL;PREF:+49 170 0000001
TEL;WORK;VOICE:+49 30 0000002
ADR;HOME;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;Hauptstra=C3=9Fe 1=0D=0A=
Hinterhaus;Examplestadt;;10000;Germany
EMAIL;INTERNET:juergen.mueller@example.org
END:VCARD"""),
    text("vcf/vcard21/base64-photo.vcf", "ok", "vcard:2.1 photo:inline uid:missing",
         "2.1 with an ENCODING=BASE64 PHOTO, continuation lines and a blank line after",
         "\n".join(["BEGIN:VCARD", "VERSION:2.1", "N:Okafor;Chidi;;;", "FN:Chidi Okafor",
                    "TEL;HOME:+44 20 0000 0003",
                    "PHOTO;ENCODING=BASE64;TYPE=JPEG:" + _chunks(B64, 72)[0],
                    *("  " + line for line in _chunks(B64, 72)[1:]), "",
                    "EMAIL;INTERNET;PREF:chidi.okafor@example.org", "END:VCARD"])),
    text("vcf/vcard21/latin1-charset.vcf", "ok",
         "vcard:2.1 charset:iso-8859-1 enc:non-utf8 uid:missing",
         "2.1 with CHARSET=ISO-8859-1 and Latin-1 bytes", """
BEGIN:VCARD
VERSION:2.1
N;CHARSET=ISO-8859-1:Ståhl;Åsa;;;
FN;CHARSET=ISO-8859-1:Åsa Ståhl
ORG;CHARSET=ISO-8859-1:Bäckerei Öberg
TEL;WORK:+46 8 000 000 04
END:VCARD""", codec="latin-1"),
    text("vcf/vcard30/apple-group.vcf", "ok", "vcard:3.0 group x:apple vendor:apple",
         "an Apple/iCloud group card with X-ADDRESSBOOKSERVER-MEMBER", """
BEGIN:VCARD
VERSION:3.0
PRODID:-//Apple Inc.//macOS 14.4//EN
N:Book club
FN:Book club
X-ADDRESSBOOKSERVER-KIND:group
X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:0E6F1B2A-3C4D-4E5F-8A9B-0C1D2E3F4A5B
X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:7A8B9C0D-1E2F-4A3B-9C4D-5E6F7A8B9C0D
REV:2024-05-01T10:00:00Z
UID:4D5E6F70-8192-4A3B-8C4D-E5F60718293A
END:VCARD"""),
    text("vcf/vcard30/item-groups-photo.vcf", "ok",
         "vcard:3.0 x:apple vendor:apple photo:inline",
         "item1./item2. property groups with X-ABLabel, a folded base64 PHOTO",
         "\n".join(["BEGIN:VCARD", "VERSION:3.0", "PRODID:-//Apple Inc.//iOS 17.5//EN",
                    "N:Varga;Ilona;;;", "FN:Ilona Varga", "ORG:Example Ferries;",
                    "item1.EMAIL;type=INTERNET;type=pref:ilona.varga@example.org",
                    "item1.X-ABLabel:_$!<Other>!$_",
                    "item2.URL;type=pref:https\\://www.example.org/ilona",
                    "item2.X-ABLabel:_$!<HomePage>!$_",
                    "TEL;type=CELL;type=VOICE;type=pref:+36 20 000 0005",
                    "PHOTO;ENCODING=b;TYPE=JPEG:" + _chunks(B64, 74)[0],
                    *(" " + line for line in _chunks(B64, 74)[1:]),
                    "X-ABUID:2F3A4B5C-6D7E-4F80-9A1B-2C3D4E5F6A7B:ABPerson",
                    "UID:2F3A4B5C-6D7E-4F80-9A1B-2C3D4E5F6A7B", "END:VCARD"])),
    text("vcf/vcard30/three-cards.vcf", "ok", "vcard:3.0 multi:cards=3 uid:missing",
         "three cards in one file, the last without UID", """
BEGIN:VCARD
VERSION:3.0
FN:Anouk Mertens
N:Mertens;Anouk;;;
EMAIL;TYPE=work:anouk.mertens@example.org
UID:card-three-a-0001@example.org
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Bram Mertens
N:Mertens;Bram;;;
TEL;TYPE=cell:+32 470 00 00 06
UID:card-three-b-0002@example.org
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Cato Mertens
N:Mertens;Cato;;;
NOTE:No UID here\\, as some phones write them.
END:VCARD""", eol="\n"),
    text("vcf/vcard30/google-no-uid.vcf", "ok", "vcard:3.0 uid:missing x:apple",
         "a Google Contacts style export: no UID, CATEGORIES, item1. labels", """
BEGIN:VCARD
VERSION:3.0
FN:Dario Conti
N:Conti;Dario;;;
EMAIL;TYPE=INTERNET;TYPE=HOME:dario.conti@example.org
TEL;TYPE=CELL:+39 300 000 0007
item1.ADR:;;Via Esempio 8;Examplecity;;00100;Italy
item1.X-ABLabel:
BDAY:1990-06-15
CATEGORIES:myContacts,Cycling
END:VCARD"""),
    text("vcf/vcard30/lower-case-names.vcf", "ok", "vcard:3.0",
         "lower-case and mixed-case property names and parameters", """
begin:vcard
version:3.0
fn:Elif Kaya
n:Kaya;Elif;;;
Email;Type=work:elif.kaya@example.org
tel;type=HOME:+90 212 000 0008
uid:lower-case-0003@example.org
end:vcard"""),
    text("vcf/sogo/x-abadr.vcf", "ok", "vcard:3.0 vendor:sogo x:apple x:mozilla",
         "SOGo Connector card: item1.ADR with X-ABADR, X-MOZILLA-HTML, CLASS", """
BEGIN:VCARD
VERSION:3.0
PRODID:-//Inverse inc.//SOGo Connector 1.0//EN
UID:8A7B-66E1B200-3-1F2E3D40.vcf
N:Haas;Frieda
FN:Frieda Haas
ORG:Example Orchestra;Strings
item1.ADR;TYPE=work:;;Notenweg 9;Examplestadt;;10001;Germany
item1.X-ABADR:de
EMAIL;TYPE=work:frieda.haas@example.org
X-MOZILLA-HTML:FALSE
CLASS:PUBLIC
REV:20240909T101010Z
END:VCARD"""),
    text("vcf/vcard40/altid-pref.vcf", "ok", "vcard:4.0 enc:utf8-nonascii",
         "4.0 with ALTID/LANGUAGE pairs, PREF, URI values", """
BEGIN:VCARD
VERSION:4.0
KIND:individual
FN;ALTID=1;LANGUAGE=en:Hana Sato
FN;ALTID=1;LANGUAGE=ja:佐藤 花
N;ALTID=1;LANGUAGE=en:Sato;Hana;;;
N;ALTID=1;LANGUAGE=ja:佐藤;花;;;
TEL;VALUE=uri;PREF=1;TYPE="voice,cell":tel:+81-90-0000-0009
TEL;VALUE=uri;TYPE=work:tel:+81-3-0000-0010
EMAIL;PREF=2:hana@example.org
EMAIL;PREF=1;TYPE=work:hana.sato@example.org
GENDER:F
LANG;PREF=1:ja
LANG;PREF=2:en
UID:urn:uuid:1c9a3e5b-7d2f-4a6e-8b0c-9d1e2f3a4b5c
REV:20240110T090000Z
END:VCARD"""),
    text("vcf/vcard40/kind-group.vcf", "ok", "vcard:4.0 group",
         "4.0 KIND:group with MEMBER URIs (urn:uuid and mailto)", """
BEGIN:VCARD
VERSION:4.0
KIND:group
FN:Climbing partners
MEMBER:urn:uuid:1c9a3e5b-7d2f-4a6e-8b0c-9d1e2f3a4b5c
MEMBER:mailto:ivo.petrov@example.org
MEMBER:urn:uuid:5b4a3f2e-1d0c-4b9a-8f7e-6d5c4b3a2f1e
UID:urn:uuid:0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0
END:VCARD"""),
    text("vcf/vcard40/data-uri-photo.vcf", "ok", "vcard:4.0 photo:inline",
         "4.0 PHOTO as a data: URI", "\n".join([
             "BEGIN:VCARD", "VERSION:4.0", "FN:Jonas Lind", "N:Lind;Jonas;;;",
             "PHOTO:data:image/jpeg;base64," + B64[:45],
             *(" " + line for line in _chunks(B64[45:], 74)),
             "UID:urn:uuid:9e8d7c6b-5a49-4837-a261-504f3e2d1c0b", "END:VCARD"])),
]
# fmt: on

FILES: list[Spec] = CARD_FILES
