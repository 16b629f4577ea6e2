#!/usr/bin/env python3
"""mkwo.py - reproducible Autoflex work-order exports for `make bench`.

  mkwo.py --orders N [--seed S] --out FILE
  mkwo.py --from PREV [--change-pct C] [--new-pct P] [--vanish-pct V] [--seed S] --out FILE

The shape of tests/fixtures/workorders/autoflex (the Autoflex export as
docs/workorders.md describes it): header row, ';', CRLF, one row per
intervention with the work-order columns repeated, dates DD-MM-YYYY HH:MM,
amounts with a decimal comma, booleans J/N. One to three interventions per
work order. --from derives the next day: V% of the work orders leave the
export, C% of the rest change (an intervention repriced, the order billed or
in the shop, the mileage), P% are new. Output is a pure function of the
arguments; names, addresses and registrations are made up.
"""
import argparse
import random

COLS = ["DmsNummer", "WoNummer", "Afspraakdatum", "Aanmaakdatum", "GeplandIn", "GeplandUit",
        "Gefactureerd", "DmsNotities", "InWerkplaats", "Intern", "KmStand", "Geannuleerd",
        "InterventieTitel", "InterventiePrijs", "Merk", "Model", "Kenteken", "Chassisnummer",
        "Motornummer", "AutoNotities", "BestuurderId", "Bedrijfsnaam", "Titel", "Achternaam",
        "Straat", "Huisnummer", "Postcode", "Plaats"]
CARS = [("Peugeot", "308", "VF3"), ("Kia", "Picanto", "KNA"), ("Renault", "Clio", "VF1"),
        ("Volkswagen", "Golf", "WVW"), ("Toyota", "Yaris", "JTD"), ("Ford", "Focus", "WF0")]
JOBS = [("Grote beurt", 289), ("Kleine beurt", 149), ("APK", 42), ("Distributieriem", 612),
        ("Banden wisselen", 60), ("Remblokken voor", 185), ("Airco service", 99)]
NAMES = ["Bakker", "Smit", "de Vries", "Jansen", "Visser", "Mulder", "Bos", "Meijer"]
STREETS = ["Molenweg", "Beukenlaan", "Kerkstraat", "Dorpsstraat", "Stationsplein"]
PLACES = [("3811 KT", "Amersfoort"), ("8011 CW", "Zwolle"), ("3832 AB", "Leusden")]


def money(cents):
    return "%d,%02d" % (cents // 100, cents % 100)


def person(pid):
    """A driver's details are a function of the driver: stored once, the same on every order."""
    p = random.Random(pid)
    code, place = p.choice(PLACES)
    return {"BestuurderId": "B%d" % pid, "Titel": p.choice(["dhr.", "mevr."]),
            "Achternaam": p.choice(NAMES), "Straat": p.choice(STREETS),
            "Huisnummer": str(1 + p.randrange(200)), "Postcode": code, "Plaats": place}


def order(rng, n):
    make, model, wmi = rng.choice(CARS)
    day = 1 + rng.randrange(28)
    appt = "%02d-12-2026 %02d:00" % (day, 8 + rng.randrange(9))
    wo = {"DmsNummer": "700", "WoNummer": "A-%07d" % n, "Afspraakdatum": appt,
          "Aanmaakdatum": "%02d-11-2026 10:15" % (1 + rng.randrange(28)),
          "GeplandIn": appt, "GeplandUit": appt[:11] + "17:00", "Gefactureerd": "N",
          "DmsNotities": rng.choice(["", "Klant wacht niet", "Afspraak via telefoon"]),
          "InWerkplaats": "N", "Intern": "N", "KmStand": "%d.%03d" % (rng.randrange(5, 250), rng.randrange(1000)),
          "Geannuleerd": "N", "Merk": make, "Model": model,
          "Kenteken": "%s-%03d-%s" % ("".join(rng.choice("BDFGHJKLNPRSTXZ") for _ in range(2)),
                                      rng.randrange(1000), rng.choice("BDFGHJKLNPRSTXZ")),
          "Chassisnummer": "%sAB%012d" % (wmi, n), "AutoNotities": "",
          "Motornummer": "", "Bedrijfsnaam": ""}
    wo.update(person(1 + rng.randrange(max(1, n // 2 + 1))))
    jobs = rng.sample(JOBS, 1 + rng.randrange(3))
    return [dict(wo, InterventieTitel=t, InterventiePrijs=money(p * 100 + rng.randrange(100)))
            for t, p in jobs]


def read(path):
    orders = {}
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\r\n")
    for line in lines[1:]:
        if line:
            row = dict(zip(COLS, line.split(";")))
            orders.setdefault(row["WoNummer"], []).append(row)
    return list(orders.values())


def change(rng, rows):
    k = rng.randrange(3)
    if k == 0:
        r = rng.choice(rows)
        e, c = r["InterventiePrijs"].split(",")
        r["InterventiePrijs"] = money(int(e) * 100 + int(c) + 500)
    for r in rows:
        if k == 1:
            r["Gefactureerd"] = r["InWerkplaats"] = "J"
        elif k == 2:
            km = int(r["KmStand"].replace(".", "")) + 1
            r["KmStand"] = "%d.%03d" % (km // 1000, km % 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--from", dest="prev")
    ap.add_argument("--change-pct", type=float, default=5)
    ap.add_argument("--new-pct", type=float, default=2)
    ap.add_argument("--vanish-pct", type=float, default=2)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    if a.prev:
        orders = read(a.prev)
        n = len(orders)
        for i in sorted(rng.sample(range(n), round(n * a.vanish_pct / 100)), reverse=True):
            del orders[i]
        for i in rng.sample(range(len(orders)), round(n * a.change_pct / 100)):
            change(rng, orders[i])
        top = max(int(o[0]["WoNummer"][2:]) for o in orders)
        orders += [order(rng, top + 1 + k) for k in range(round(n * a.new_pct / 100))]
    else:
        orders = [order(rng, k + 1) for k in range(a.orders)]
    with open(a.out, "w", encoding="utf-8", newline="") as f:
        f.write(";".join(COLS) + "\r\n")
        for o in orders:
            for r in o:
                f.write(";".join(r[c] for c in COLS) + "\r\n")


main()
