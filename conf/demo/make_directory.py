#!/usr/bin/env python3
"""Generates conf/demo/directory.ldif: a sample local authority for the trustgate demo.

Deterministic (fixed seed, UUIDs derived from DNs), standard library only.

    python3 conf/demo/make_directory.py            # rewrite directory.ldif beside this script
    python3 conf/demo/make_directory.py --check    # exit 1 if directory.ldif is out of date
    python3 conf/demo/make_directory.py -o FILE    # write elsewhere

Layout (base dc=la,dc=example):
  ou=people                      staff (inetOrgPerson, uid, cn, displayName, mail, entryUUID)
  ou=schools,ou=groups           cn=Staff-<URN>: the staff of one school (description = name)
  ou=clusters,ou=groups          cn=Cluster-<name>: users associated with a cluster
  ou=roles,ou=groups             MIS-Users (login permission), Headteachers, Primary-Heads,
                                 Business-Managers, Central-IT, LA-Central-Team (all schools)
Disabled accounts carry `employeeType: disabled`.
"""

import argparse
import base64
import random
import sys
import uuid
from pathlib import Path

BASE = "dc=la,dc=example"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
SCHOOLS_OU = f"ou=schools,{GROUPS}"
CLUSTERS_OU = f"ou=clusters,{GROUPS}"
ROLES_OU = f"ou=roles,{GROUPS}"
MAIL_DOMAIN = "la.example"
SEED = 20240901
# entryUUIDs are uuid5(NAMESPACE, normalized DN): stable across regenerations.
NAMESPACE = uuid.UUID("5b1d3c2e-7a41-4f0e-9c55-3d0a1e2b7c90")
STAFF_PER_SCHOOL = 9

SCHOOLS = [
    # (URN, name, phase)
    ("100001", "Ashgrove Primary School", "primary"),
    ("100002", "Beechwood Primary School", "primary"),
    ("100003", "Brookside Infant School", "primary"),
    ("100004", "Castle Hill Primary School", "primary"),
    ("100005", "Elm Park Primary School", "primary"),
    ("100006", "Fernbank Junior School", "primary"),
    ("100007", "Hollybush Primary School", "primary"),
    ("100008", "Kingsmead Primary School", "primary"),
    ("100009", "Larkrise Primary School", "primary"),
    ("100010", "Meadowbank Primary School", "primary"),
    ("100011", "Oakfield Primary School", "primary"),
    ("100012", "Riverside Primary School", "primary"),
    ("100013", "St Anne's CE Primary School", "primary"),
    ("100014", "Willow Green Primary School", "primary"),
    ("100015", "Northgate Academy", "secondary"),
    ("100016", "Parkside High School", "secondary"),
    ("100017", "Queensway School", "secondary"),
    ("100018", "Redhill Academy", "secondary"),
    ("100019", "Southfields College", "secondary"),
    ("100020", "Thornton Grammar School", "secondary"),
    ("100021", "Westbrook High School", "secondary"),
    ("100022", "Ashdown Special School", "special"),
    ("100023", "Harbour View School", "special"),
    ("100024", "Linden Lodge Special School", "special"),
]

# Cluster membership of schools is configuration (the demo config); listed here for the
# group descriptions and the README.
CLUSTERS = {
    "Primaries": [u for u, _, p in SCHOOLS if p == "primary"],
    "Secondaries": [u for u, _, p in SCHOOLS if p == "secondary"],
    "Special": [u for u, _, p in SCHOOLS if p == "special"],
    "North-Locality": ["100001", "100002", "100003", "100004", "100015", "100016", "100022"],
}

FIRST_NAMES = [
    "Adam", "Alice", "Amir", "Amy", "Ben", "Bethany", "Callum", "Chloe", "Daniel", "Deborah",
    "Ellie", "Emeka", "Fatima", "Finn", "George", "Grace", "Hannah", "Harry", "Imran", "Isla",
    "Jack", "Jasmine", "Kate", "Kwame", "Laura", "Liam", "Maya", "Megan", "Nathan", "Niamh",
    "Oliver", "Olivia", "Paul", "Rachel", "Rhys", "Ruth", "Sana", "Sarah", "Simon", "Sophie",
    "Thomas", "Usman", "Victoria", "William", "Yasmin", "Zara",
]
LAST_NAMES = [
    "Ahmed", "Allen", "Bailey", "Begum", "Bennett", "Brown", "Campbell", "Carter", "Clarke",
    "Cooper", "Davies", "Edwards", "Evans", "Fletcher", "Green", "Hall", "Harris", "Hughes",
    "Hussain", "Jackson", "James", "Kaur", "Lewis", "Martin", "Mitchell", "Morgan", "Murphy",
    "Nguyen", "Okafor", "Owen", "Parker", "Phillips", "Roberts", "Robinson", "Shah", "Taylor",
    "Thompson", "Turner", "Walker", "Ward", "Watson", "White", "Williams", "Wilson", "Wright",
]


def group_dn(cn, ou):
    return f"cn={cn},{ou}"


def person_dn(uid):
    return f"uid={uid},{PEOPLE}"


def entry_uuid(dn):
    return str(uuid.uuid5(NAMESPACE, dn.lower()))


class Directory:
    def __init__(self):
        self.people = {}  # uid -> dict
        self.members = {}  # group DN -> list of member DNs (in insertion order)
        self.descriptions = {}  # group DN -> description

    def group(self, cn, ou, description):
        dn = group_dn(cn, ou)
        self.members.setdefault(dn, [])
        self.descriptions[dn] = description
        return dn

    def person(self, uid, given, sn, title, display_name=None, disabled=False):
        assert uid not in self.people, uid
        self.people[uid] = {
            "given": given,
            "sn": sn,
            "title": title,
            "display_name": display_name or f"{given} {sn}",
            "disabled": disabled,
        }
        return person_dn(uid)

    def add(self, group, member_dn):
        assert group in self.members, group
        if member_dn not in self.members[group]:
            self.members[group].append(member_dn)


def build():
    rng = random.Random(SEED)
    d = Directory()

    school_group = {}
    for urn, name, _ in SCHOOLS:
        school_group[urn] = d.group(f"Staff-{urn}", SCHOOLS_OU, name)
    cluster_group = {}
    for cluster, urns in CLUSTERS.items():
        cluster_group[cluster] = d.group(
            f"Cluster-{cluster}", CLUSTERS_OU,
            f"Cluster {cluster.replace('-', ' ')}: schools {', '.join(urns)}")
    mis_users = d.group("MIS-Users", ROLES_OU, "Staff who may log in to school MIS sites (role mat-staff)")
    heads = d.group("Headteachers", ROLES_OU, "Headteachers of all phases")
    primary_heads = d.group("Primary-Heads", ROLES_OU, "Headteachers of primary schools")
    business = d.group("Business-Managers", ROLES_OU, "School business managers")
    central_it = d.group("Central-IT", ROLES_OU, "LA central IT team")
    central = d.group("LA-Central-Team", ROLES_OU, "LA central team: all institutions")

    # Nesting, three levels deep: Primary-Heads in Headteachers in MIS-Users.
    d.add(mis_users, heads)
    d.add(heads, primary_heads)
    d.add(mis_users, business)
    d.add(mis_users, central_it)
    d.add(mis_users, central)

    # Named demo users, easy to remember.
    aisha = d.person("aisha.khan", "Aisha", "Khan", "Primary Phase Lead")
    d.add(mis_users, aisha)
    d.add(cluster_group["Primaries"], aisha)
    d.add(school_group["100015"], aisha)
    d.add(school_group["100016"], aisha)

    tom = d.person("tom.baker", "Tom", "Baker", "Teacher", disabled=True)
    d.add(mis_users, tom)
    d.add(school_group["100003"], tom)

    priya = d.person("priya.patel", "Priya", "Patel", "Data Manager")
    d.add(mis_users, priya)

    sam = d.person("sam.jones", "Sam", "Jones", "Director of Education")
    d.add(central, sam)

    lee = d.person("lee.wong", "Lee", "Wong", "Teaching Assistant")
    d.add(school_group["100002"], lee)

    nina = d.person("nina.lone", "Nina", "Lone", "Governor")  # in no group at all

    mark = d.person("mark.evans", "Mark", "Evans", "Headteacher")
    d.add(primary_heads, mark)
    d.add(school_group["100001"], mark)

    helen = d.person("helen.price", "Helen", "Price", "Business Manager")
    d.add(business, helen)
    d.add(school_group["100015"], helen)
    d.add(school_group["100017"], helen)

    raj = d.person("raj.singh", "Raj", "Singh", "IT Technician")
    d.add(central_it, raj)
    d.add(cluster_group["North-Locality"], raj)

    zoe = d.person("zoe.brennan", "Zo\u00eb", "Brennan", "SENCo", display_name="Zo\u00eb Brennan")
    d.add(mis_users, zoe)
    d.add(cluster_group["Special"], zoe)

    del nina  # listed for the report; deliberately in no group

    # Generated staff: STAFF_PER_SCHOOL per school, one head each, a business manager per
    # secondary; in every other school the last one lacks the login permission.
    for urn, _, phase in SCHOOLS:
        for i in range(STAFF_PER_SCHOOL):
            given = rng.choice(FIRST_NAMES)
            sn = rng.choice(LAST_NAMES)
            uid = f"{given}.{sn}".lower()
            n = 2
            while uid in d.people:
                uid = f"{given}.{sn}{n}".lower()
                n += 1
            if i == 0:
                title = "Headteacher"
            elif i == 1 and phase == "secondary":
                title = "Business Manager"
            else:
                title = rng.choice(["Teacher", "Teacher", "Teacher", "Teaching Assistant",
                                    "Office Manager", "Deputy Headteacher"])
            dn = d.person(uid, given, sn, title)
            d.add(school_group[urn], dn)
            if title == "Headteacher":
                d.add(primary_heads if phase == "primary" else heads, dn)
            elif title == "Business Manager":
                d.add(business, dn)
            elif not (i == STAFF_PER_SCHOOL - 1 and int(urn) % 2 == 0):
                d.add(mis_users, dn)  # the last of every other school has no permission
    # A few generated staff also lead a cluster.
    generated = [uid for uid in d.people if d.people[uid]["title"] == "Deputy Headteacher"]
    for cluster in CLUSTERS:
        d.add(cluster_group[cluster], person_dn(generated.pop(0)))
    return d


def needs_base64(value):
    if value == "":
        return False
    if value[0] in " :<" or value[-1] == " ":
        return True
    return any(ord(c) > 126 or ord(c) < 32 for c in value)


def attr_line(name, value):
    if needs_base64(value):
        line = f"{name}:: {base64.b64encode(value.encode('utf-8')).decode('ascii')}"
    else:
        line = f"{name}: {value}"
    # RFC 2849 folding: at most 76 characters a line, continuations start with one space.
    out = [line[:76]]
    rest = line[76:]
    while rest:
        out.append(" " + rest[:75])
        rest = rest[75:]
    return "\n".join(out)


def entry(dn, attrs):
    lines = [attr_line("dn", dn)]
    lines += [attr_line(name, value) for name, value in attrs]
    return "\n".join(lines) + "\n"


def render(d):
    out = [
        "# trustgate demo directory: a sample local authority.\n"
        "# Generated by make_directory.py: edit the generator, not this file.\n"
        "# Disabled accounts carry 'employeeType: disabled'.\n"
        "# No 'version: 1' line: slapadd rejects it, and it is optional in practice.\n",
        entry(BASE, [("objectClass", "top"), ("objectClass", "dcObject"),
                     ("objectClass", "organization"), ("dc", "la"), ("o", "Example LA")]),
    ]
    for ou_dn in (PEOPLE, GROUPS, SCHOOLS_OU, CLUSTERS_OU, ROLES_OU):
        out.append(entry(ou_dn, [("objectClass", "top"), ("objectClass", "organizationalUnit"),
                                 ("ou", ou_dn.split(",")[0].split("=")[1])]))
    out.append("# ---- people ----\n")
    for uid, p in d.people.items():
        dn = person_dn(uid)
        attrs = [("objectClass", "top"), ("objectClass", "person"),
                 ("objectClass", "organizationalPerson"), ("objectClass", "inetOrgPerson"),
                 ("uid", uid), ("cn", f"{p['given']} {p['sn']}"), ("sn", p["sn"]),
                 ("givenName", p["given"]), ("displayName", p["display_name"]),
                 ("title", p["title"]), ("mail", f"{uid}@{MAIL_DOMAIN}"),
                 ("entryUUID", entry_uuid(dn))]
        if p["disabled"]:
            attrs.append(("employeeType", "disabled"))
        out.append(entry(dn, attrs))
    out.append("# ---- groups ----\n")
    for dn, members in d.members.items():
        assert members, f"{dn} has no members (groupOfNames needs one)"
        cn = dn.split(",")[0].split("=")[1]
        attrs = [("objectClass", "top"), ("objectClass", "groupOfNames"), ("cn", cn),
                 ("description", d.descriptions[dn]), ("entryUUID", entry_uuid(dn))]
        attrs += [("member", m) for m in members]
        out.append(entry(dn, attrs))
    return "\n".join(out)


def main():
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=here / "directory.ldif")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the output file differs from what would be generated")
    args = parser.parse_args()

    d = build()
    text = render(d)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(f"{args.output} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {args.output}: {len(d.people)} people, {len(d.members)} groups", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
