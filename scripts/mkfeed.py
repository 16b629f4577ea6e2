#!/usr/bin/env python3
"""mkfeed.py - lotsync's own reproducible generic-csv inventory generator.

Used by the tests and `make bench` so anyone can rerun them; output is a pure
function of the arguments. (The neutral reference generator the benchmarks
are also checked against lives outside this repository.)

  mkfeed.py --vehicles N [--seed S] [--dealers D] [--crlf] [--format csv|xml]
            --out FILE
  mkfeed.py --from PREV [--change-pct C] [--new-pct P] [--vanish-pct V]
            [--seed S] --out FILE

--format xml writes <inventory><vehicle>, one child per column, ImageURLs as
repeated <URL> and Equipment as repeated <Item> (the generic-xml profile).
VINs carry a correct ISO 3779 check digit.

Counts are exact: round(n*V/100) vehicles vanish, round(n*C/100) of the rest
change price, mileage or description, round(n*P/100) are new.
"""
import argparse
import csv
import random
import sys

COLS = ["DealerID", "VIN", "StockNo", "Type", "Year", "Make", "Model", "Trim", "Body",
        "ExteriorColor", "InteriorColor", "Mileage", "Price", "CampaignPrice", "OldPrice",
        "Fuel", "Transmission", "RegistrationNumber", "FirstRegistration", "Description",
        "ImageURLs", "Equipment", "InStockDate", "Client"]
MAKES = {"Volvo": ["V60", "XC40", "XC90"], "Toyota": ["Corolla", "RAV4", "Yaris"],
         "Skoda": ["Octavia", "Kodiaq", "Fabia"], "BMW": ["320d", "X3", "i4"]}
COLORS = ["Black", "White", "Silver", "Blue", "Red", "Grey"]
EQUIP = ["Heated seats", "Tow bar", "Navigation", "Parking sensors", "LED lights",
         "Adaptive cruise control", "Apple CarPlay"]
VINCHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
VINVAL = dict(zip("0123456789", range(10)))
VINVAL.update(zip("ABCDEFGH", range(1, 9)))
VINVAL.update(zip("JKLMN", range(1, 6)))
VINVAL.update({"P": 7, "R": 9})
VINVAL.update(zip("STUVWXYZ", range(2, 10)))
VINWEIGHT = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def with_check_digit(vin):
    r = sum(VINVAL[c] * w for c, w in zip(vin, VINWEIGHT)) % 11
    return vin[:8] + ("X" if r == 10 else str(r)) + vin[9:]


def vehicle(rng, serial, dealers):
    make = rng.choice(sorted(MAKES))
    year = rng.randint(2012, 2026)
    dealer = "D%03d" % (1 + min(int(rng.expovariate(1.0) * dealers / 3), dealers - 1))
    vin = with_check_digit("".join(rng.choice(VINCHARS) for _ in range(17)))
    stock = "S%06d" % serial
    desc = 'Well kept %s, "one owner", service book.' % make
    if rng.random() < 0.2:
        desc += "\nWinter tyres included, on rims."
    imgs = "|".join("https://img.example/%s/%s_%d.jpg" % (dealer, stock, i)
                    for i in range(rng.randint(0, 4)))
    return {"DealerID": dealer, "VIN": vin, "StockNo": stock, "Type": rng.choice("NUD"),
            "Year": str(year), "Make": make, "Model": rng.choice(MAKES[make]),
            "Trim": rng.choice(["", "Base", "Sport", "Momentum"]),
            "Body": rng.choice(["Sedan", "Wagon", "SUV", "Hatchback"]),
            "ExteriorColor": rng.choice(COLORS), "InteriorColor": rng.choice(["Black", "Beige"]),
            "Mileage": str(rng.randint(0, 250000)), "Price": str(rng.randint(30, 900) * 100),
            "CampaignPrice": "", "OldPrice": "", "Fuel": rng.choice(["Petrol", "Diesel", "Electric"]),
            "Transmission": rng.choice(["Manual", "Automatic"]),
            "RegistrationNumber": "%s-%03d" % ("".join(rng.choice("ABCDEFGHJKLMN") for _ in range(3)),
                                               rng.randint(1, 999)),
            "FirstRegistration": "%d-%02d-%02d" % (year, rng.randint(1, 12), rng.randint(1, 28)),
            "Description": desc, "ImageURLs": imgs,
            "Equipment": "|".join(rng.sample(EQUIP, rng.randint(0, 4))),
            "InStockDate": "2026-%02d-%02d" % (rng.randint(1, 10), rng.randint(1, 28)),
            "Client": "Client of %s" % dealer}


def change(rng, v):
    what = rng.randrange(3)
    if what == 0:
        v["Price"] = str(int(v["Price"]) - 100 * rng.randint(1, 20))
    elif what == 1:
        v["Mileage"] = str(int(v["Mileage"]) + rng.randint(1, 500))
    else:
        v["Description"] += " Price reduced!"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vehicles", type=int, default=1000)
    ap.add_argument("--dealers", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--from", dest="prev")
    ap.add_argument("--change-pct", type=float, default=5)
    ap.add_argument("--new-pct", type=float, default=2)
    ap.add_argument("--vanish-pct", type=float, default=2)
    ap.add_argument("--crlf", action="store_true")
    ap.add_argument("--format", choices=["csv", "xml"], default="csv")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    if a.prev:
        rows = list(csv.DictReader(open(a.prev, newline="", encoding="utf-8")))
        n = len(rows)
        for i in sorted(rng.sample(range(n), round(n * a.vanish_pct / 100)), reverse=True):
            del rows[i]
        for i in rng.sample(range(len(rows)), round(n * a.change_pct / 100)):
            change(rng, rows[i])
        serial = 1 + max((int(r["StockNo"][1:]) for r in rows), default=0)
        for k in range(round(n * a.new_pct / 100)):
            rows.insert(rng.randrange(len(rows) + 1), vehicle(rng, serial + k, a.dealers))
    else:
        rows = [vehicle(rng, i + 1, a.dealers) for i in range(a.vehicles)]
    out = sys.stdout if a.out == "-" else open(a.out, "w", newline="", encoding="utf-8")
    if a.format == "xml":
        write_xml(rows, out)
        return
    w = csv.DictWriter(out, COLS, lineterminator="\r\n" if a.crlf else "\n")
    w.writeheader()
    w.writerows(rows)


def xml_text(v):
    return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_xml(rows, out):
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<inventory>\n')
    for r in rows:
        parts = ["  <vehicle>\n"]
        for c in COLS:
            v = r[c]
            if c in ("ImageURLs", "Equipment") and v:
                tag = "URL" if c == "ImageURLs" else "Item"
                items = "".join("<%s>%s</%s>" % (tag, xml_text(x), tag) for x in v.split("|"))
                parts.append("    <%s>%s</%s>\n" % (c, items, c))
            elif v:
                parts.append("    <%s>%s</%s>\n" % (c, xml_text(v), c))
            else:
                parts.append("    <%s/>\n" % c)
        parts.append("  </vehicle>\n")
        out.write("".join(parts))
    out.write("</inventory>\n")


if __name__ == "__main__":
    main()
