"""Cut the bundled ``online-retail-sample`` from the UCI Online Retail data set (pandas only).

Source: UCI Machine Learning Repository, "Online Retail" (Daqing Chen, 2015),
https://archive.ics.uci.edu/dataset/352/online+retail (doi:10.24432/C5BW33); paper: Chen, Sain & Guo
(2012), doi:10.1057/dbm.2012.17. The bundled slice was cut from the copy in the R package
``onlineretail`` (https://github.com/allanvc/onlineretail, ``data/onlineretail.rda``), which this
script cannot read itself: export it to CSV first, in a throwaway environment outside the project
(pyreadr is no dependency of fgnn)::

    python3 -m venv /tmp/rvenv && /tmp/rvenv/bin/pip install pyreadr pandas
    /tmp/rvenv/bin/python -c "import pyreadr; pyreadr.read_r('onlineretail.rda')['onlineretail']\
.to_csv('onlineretail.csv', index=False)"

The .rda stores ``InvoiceDate`` as POSIXct with ``tzone = "UTC"`` (the shop's wall-clock times, as in
the UCI spreadsheet), so the CSV holds ``2010-12-01 08:26:00``-style times; the UCI ``Online Retail.xlsx``
(read with ``pandas.read_excel``, needs openpyxl) or a CSV with ``12/1/2010 8:26``-style dates work too.

Then::

    python docs/examples/make_online_retail_sample.py onlineretail.csv fgnn/data/bundled/online-retail-sample

The recipe (on the CSV exported from the .rda, the defaults reproduce the bundled files byte for
byte; the .xlsx and ``12/1/2010 8:26`` routes are untested against the bundled bytes):

1. rows: drop cancellations (``InvoiceNo`` not all digits: ``C...`` credit notes and the three
   ``A...`` bad-debt adjustments), rows with ``Quantity <= 0``, ``UnitPrice <= 0`` (stock
   corrections such as "check", "found", "amazon", "?") and an empty ``Description``;
2. products only: keep ``StockCode`` of 5 digits and optional letters (``85123A``); every other code
   is a fee, postage, manual or marketplace line (POST, DOT, M, m, C2, D, S, B, BANK CHARGES, AMAZONFEE,
   CRUK, PADS, gift_0001_*, DCGS*), and four 5-digit codes are services too (:data:`NOT_PRODUCTS`:
   22016 gift voucher, 23444 Next Day Carriage, 23574 PACKING CHARGE, 23702 High Resolution Image);
   the codes dropped are printed with their row counts;
3. case: 111 codes also occur with a lowercase letter (``85123a`` beside ``85123A``, same product and
   description); a code is written in upper case wherever that spelling occurs in the input (it does
   for all 111; the README of the data says a code "can be accompanied by a trailing uppercase
   letter"), so every id is a spelling found in the data and one product is one id;
4. window: invoices dated in ``[--start, --end)``, of ``--country`` (default United Kingdom, ``all``
   for every country);
5. baskets: invoices with more than ``--max-lines`` product lines (wholesale orders) are dropped whole;
6. clicks.csv: ``session_id,item_id,time`` = InvoiceNo, StockCode, InvoiceDate as ISO 8601, lines in
   file order (an invoice's lines share its time, so a stable sort by session and time keeps them in
   basket order);
7. items.csv: ``item_id,name``, one row per code in clicks.csv (sorted by code), the name being the
   code's most frequent Description over the window's kept lines (ties: the first in file order),
   whitespace collapsed, case kept (the shop's upper case).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

PRODUCT_CODE = r"^\d{5}[A-Za-z]*$"
#: 5-digit codes that are no product: a gift voucher, carriage, a packing charge, an image fee.
NOT_PRODUCTS = {"22016", "23444", "23574", "23702"}


def read_online_retail(path: Path) -> pd.DataFrame:
    """The eight UCI columns with codes as text and InvoiceDate as datetime64."""
    if path.suffix.lower() in (".xlsx", ".xls"):
        df = pd.read_excel(path, dtype={"InvoiceNo": str, "StockCode": str, "Description": str})
    else:
        df = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "Description": str, "Country": str},
                         keep_default_na=False, na_values={"Description": [""], "CustomerID": [""]},
                         encoding="utf-8", encoding_errors="replace")
    missing = {"InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "Country"} - set(df)
    if missing:
        sys.exit(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    if not pd.api.types.is_datetime64_any_dtype(df["InvoiceDate"]):
        text = df["InvoiceDate"].astype(str)
        fmt = "ISO8601" if text.iloc[0][:4].isdigit() and text.iloc[0][4] == "-" else "%m/%d/%Y %H:%M"
        df["InvoiceDate"] = pd.to_datetime(text, format=fmt)
    return df


def most_frequent(values: pd.Series, keys: pd.Series) -> pd.Series:
    """Per key, its most frequent value (ties: the value seen first)."""
    table = pd.DataFrame({"key": keys.to_numpy(), "value": values.to_numpy()})
    table["first"] = range(len(table))
    counts = table.groupby(["key", "value"], sort=False).agg(n=("first", "size"), first=("first", "min"))
    counts = counts.reset_index().sort_values(["key", "n", "first"], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates("key").set_index("key")["value"]


def cut(df: pd.DataFrame, start: str, end: str, country: str, max_lines: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    report: dict = {"input rows": len(df)}
    desc = df["Description"].astype("string").str.split().str.join(" ")
    keep = (df["InvoiceNo"].str.fullmatch(r"\d+") & (df["Quantity"] > 0) & (df["UnitPrice"] > 0)
            & desc.notna() & (desc != ""))
    report["rows kept by step 1 (sale lines)"] = int(keep.sum())
    is_product = df["StockCode"].str.match(PRODUCT_CODE) & ~df["StockCode"].isin(NOT_PRODUCTS)
    report["non-product codes dropped (sale lines over the whole input)"] = (
        df.loc[keep & ~is_product, "StockCode"].value_counts().to_dict())
    keep &= is_product
    # step 3: one spelling per code: the upper-case one where the input has it
    upper = df["StockCode"].str.upper()
    code = df["StockCode"].where(~(is_product & upper.isin(set(df["StockCode"]))), upper)
    report["rows whose code spelling was changed (case only)"] = int((keep & (code != df["StockCode"])).sum())
    # step 4
    in_window = (df["InvoiceDate"] >= pd.Timestamp(start)) & (df["InvoiceDate"] < pd.Timestamp(end))
    if country != "all":
        in_window &= df["Country"] == country
    keep &= in_window
    # step 5
    lines = df.loc[keep].groupby("InvoiceNo").size()
    big = lines.index[lines > max_lines]
    report[f"invoices dropped for more than {max_lines} lines"] = f"{len(big)} of {len(lines)} ({int(lines[big].sum())} lines)"
    keep &= ~df["InvoiceNo"].isin(big)

    kept = df.loc[keep]
    clicks = pd.DataFrame({"session_id": kept["InvoiceNo"].to_numpy(), "item_id": code[keep].to_numpy(),
                           "time": kept["InvoiceDate"].dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy()})
    names = most_frequent(desc[keep], code[keep])
    items = pd.DataFrame({"item_id": names.index, "name": names.to_numpy()}).sort_values("item_id", kind="stable")
    report["product sale lines in the window (before step 5)"] = int(lines.sum())
    report["clicks"] = len(clicks)
    report["sessions (invoices)"] = clicks["session_id"].nunique()
    report["items"] = len(items)
    return clicks, items, report


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source", type=Path, help="Online Retail as CSV (e.g. exported from onlineretail.rda) or .xlsx")
    ap.add_argument("out", type=Path, help="folder to write clicks.csv and items.csv into")
    ap.add_argument("--start", default="2011-10-01", help="first day of the window (default 2011-10-01)")
    ap.add_argument("--end", default="2011-12-10", help="day after the window (default 2011-12-10: to the end)")
    ap.add_argument("--country", default="United Kingdom", help="Country to keep, or 'all' (default United Kingdom)")
    ap.add_argument("--max-lines", type=int, default=25, help="drop invoices with more product lines (default 25)")
    args = ap.parse_args(argv)

    clicks, items, report = cut(read_online_retail(args.source), args.start, args.end, args.country, args.max_lines)
    args.out.mkdir(parents=True, exist_ok=True)
    clicks.to_csv(args.out / "clicks.csv", index=False, lineterminator="\n")
    items.to_csv(args.out / "items.csv", index=False, lineterminator="\n")
    for key, value in report.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
