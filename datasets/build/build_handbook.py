"""Build the SYNTHETIC company handbook and its questions (`handbook.jsonl`, `handbook_questions.jsonl`).

Northwind Analytics is a fictional company. Every document below was written by the course authors as
a template; this script fills the templates, derives the questions, splits them and validates the result.
It is deterministic (one `random.Random(7)`), writes sorted records atomically, and needs only the
standard library:

    python datasets/build/build_handbook.py

Near-identical clusters (vacation policy per country, laptop policy per version, VPN guide per OS...) share
most of their wording and differ in a few facts; they exist so that the course can show a general
embedding model confusing them and a fine-tuned one separating them.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

from jsonl_files import to_jsonl, write_text_atomic  # datasets/build/jsonl_files.py

SEED = 7
DATASETS_DIR = Path(__file__).resolve().parents[1]
HANDBOOK_PATH = DATASETS_DIR / "handbook.jsonl"
QUESTIONS_PATH = DATASETS_DIR / "handbook_questions.jsonl"
README_PATH = DATASETS_DIR / "README.md"
README_FALLBACK_PATH = DATASETS_DIR / "HANDBOOK_README_SECTION.md"
README_HEADING = "## handbook.jsonl and handbook_questions.jsonl (synthetic)"

CATEGORIES = ("hr", "it", "responsible_ai", "general")
VISIBILITIES = ("all", "hr", "it")
SPLIT_FRACTIONS = {"train": 0.6, "validation": 0.2, "test": 0.2}
MIN_WORDS, MAX_WORDS = 60, 180

Record = dict[str, Any]

# --------------------------------------------------------------------------------------------------
# Near-identical clusters: one text template, one list of question templates, several variants.
# `{variant}` and the other fields are filled from each variant. A question is (phrasings, fact field):
# variants take turns over the phrasings, and the answer is the variant's value of that fact field.
# --------------------------------------------------------------------------------------------------

CLUSTERS: list[Record] = [
    {
        "cluster": "vacation-policy",
        "category": "hr",
        "visibility": "all",
        "doc_id": "hr-vacation-{key}",
        "title": "Vacation policy ({variant})",
        "text": (
            "This policy sets out paid vacation for Northwind Analytics employees working under a contract in "
            "{where}. Full-time employees receive {days} of paid vacation per calendar year, in addition to the "
            "public holidays observed locally. Part-time employees receive a pro-rata entitlement based on "
            "their contracted hours. Vacation is requested in the People Portal at least {notice} before the first "
            "day of absence and is approved by the line manager. Up to {carry} of unused vacation may be carried "
            "over into the next year; carried-over days expire on {expiry} and are not paid out. Remaining days "
            "should be taken during the notice period where the business allows. Questions about balances go to "
            "the People team through an HR-VAC ticket in the People Portal."
        ),
        "questions": [
            (("How many paid vacation days does a full-time employee in {where} get each year?",
              "What is the annual holiday entitlement for full-timers in {where}?"), "days"),
            (("I'm on a contract in {where}: until what date can I still use leave carried over from last year?",
              "When do carried-over vacation days expire for staff in {where}?"), "expiry"),
            (("How far in advance must staff in {where} request their time off?",
              "How much notice do I need to give before taking holiday in {where}?"), "notice"),
        ],
        "variants": [
            {"key": "de", "variant": "Germany", "where": "Germany", "days": "30 working days",
             "notice": "two weeks", "carry": "five days", "expiry": "31 March"},
            {"key": "fr", "variant": "France", "where": "France", "days": "27 working days",
             "notice": "one month", "carry": "ten days", "expiry": "31 May"},
            {"key": "us", "variant": "United States", "where": "the United States", "days": "20 working days",
             "notice": "ten business days", "carry": "eight days", "expiry": "31 January"},
            {"key": "uk", "variant": "United Kingdom", "where": "the United Kingdom", "days": "28 working days",
             "notice": "four weeks", "carry": "three days", "expiry": "30 April"},
            {"key": "jp", "variant": "Japan", "where": "Japan", "days": "18 working days",
             "notice": "three weeks", "carry": "six days", "expiry": "30 June"},
        ],
    },
    {
        "cluster": "parental-leave",
        "category": "hr",
        "visibility": "all",
        "doc_id": "hr-parental-leave-{key}",
        "title": "Parental leave ({variant})",
        "text": (
            "Northwind Analytics supports employees in {where} who become parents through birth, adoption or "
            "surrogacy. The primary caregiver receives {primary} of parental leave at full pay, and the second "
            "parent receives {secondary} at full pay. Leave can be taken in blocks of at least one week within "
            "{window} of the birth or placement. These payments top up any statutory benefits available locally. "
            "Employees notify the People team at least {notice} before the expected start date by submitting an "
            "HR-PAR request in the People Portal. On return, employees may work reduced hours for up to {phased} "
            "without a change to their contract. Roles are protected during leave, and bonus eligibility is based "
            "on the months worked."
        ),
        "questions": [
            (("How long is the fully paid leave for a primary caregiver in {where}?",
              "I'm having a baby in {where} and will be the main carer. How much paid leave do I get?"), "primary"),
            (("What paid leave is the second parent entitled to in {where}?",
              "How much paternity or partner leave is there in {where}?"), "secondary"),
            (("How much notice should an expecting employee in {where} give the People team before their leave?",
              "When do parents-to-be in {where} have to tell HR about their leave dates?"), "notice"),
        ],
        "variants": [
            {"key": "de", "variant": "Germany", "where": "Germany", "primary": "sixteen weeks",
             "secondary": "six weeks", "window": "twelve months", "notice": "eight weeks", "phased": "three months"},
            {"key": "fr", "variant": "France", "where": "France", "primary": "twenty weeks",
             "secondary": "four weeks", "window": "eighteen months", "notice": "ten weeks", "phased": "two months"},
            {"key": "us", "variant": "United States", "where": "the United States", "primary": "twelve weeks",
             "secondary": "three weeks", "window": "six months", "notice": "thirty days", "phased": "one month"},
            {"key": "uk", "variant": "United Kingdom", "where": "the United Kingdom", "primary": "eighteen weeks",
             "secondary": "two weeks", "window": "nine months", "notice": "fifteen weeks", "phased": "three months"},
        ],
    },
    {
        "cluster": "sick-leave",
        "category": "hr",
        "visibility": "all",
        "doc_id": "hr-sick-leave-{key}",
        "title": "Sick leave ({variant})",
        "text": (
            "Employees in {where} who cannot work because of illness must tell their line manager and record the "
            "absence in the People Portal before {time} on the first day. A medical certificate is required from "
            "the {cert} of absence onwards. Northwind Analytics continues full salary for up to {paid} of sickness "
            "per calendar year; after that, the local statutory sick pay rules apply. Absences longer than "
            "{long} lead to a confidential return-to-work conversation with the People team, who may involve the "
            "occupational health provider. Sick days never reduce the vacation balance, and illness during approved "
            "vacation is converted back into vacation days if it is reported within the same week."
        ),
        "questions": [
            (("By what time must someone in {where} report that they are off sick?",
              "I woke up ill and I work in {where}. What's the deadline for reporting it?"), "time"),
            (("From which day of illness does an employee in {where} need a doctor's note?",
              "When is a medical certificate needed for sickness absence in {where}?"), "cert"),
            (("For how long does the company keep paying full salary to sick employees in {where}?",
              "How many weeks or days of full sick pay are there in {where}?"), "paid"),
        ],
        "variants": [
            {"key": "de", "variant": "Germany", "where": "Germany", "time": "10:00", "cert": "fourth day",
             "paid": "six weeks", "long": "four weeks"},
            {"key": "uk", "variant": "United Kingdom", "where": "the United Kingdom", "time": "09:30",
             "cert": "eighth day", "paid": "ten weeks", "long": "three weeks"},
            {"key": "us", "variant": "United States", "where": "the United States", "time": "11:00",
             "cert": "sixth day", "paid": "fifteen days", "long": "ten working days"},
        ],
    },
    {
        "cluster": "expense-limits",
        "category": "hr",
        "visibility": "all",
        "doc_id": "hr-expenses-{key}",
        "title": "Expense limits ({variant})",
        "text": (
            "These limits apply to business expenses incurred by employees based in the {variant} region. Hotel "
            "accommodation may cost up to {hotel} per night, and daily meal allowances are capped at {meals}. Client "
            "entertainment needs pre-approval from a director when the total exceeds {entertainment}. Receipts must "
            "be uploaded to Expense Hub within {deadline} of the expense date; later claims are reimbursed only with "
            "approval from the regional finance controller. Alcohol is reimbursable only as part of approved client "
            "entertainment. Approved claims are paid with the next payroll run. Expense Hub rejects any claim "
            "without an itemised receipt, so photograph receipts as soon as you receive them."
        ),
        "questions": [
            (("What's the nightly hotel cap for staff in the {variant} region?",
              "How expensive a hotel room can I book per night if I'm based in {where}?"), "hotel"),
            (("How much can I spend on meals per day if I'm based in {where}?",
              "What is the daily food allowance in the {variant} region?"), "meals"),
            (("How long do {variant} employees have to upload receipts for a claim?",
              "What's the deadline for submitting expense receipts in {where}?"), "deadline"),
        ],
        "variants": [
            {"key": "emea", "variant": "EMEA", "where": "EMEA", "hotel": "EUR 180", "meals": "EUR 55",
             "entertainment": "EUR 400", "deadline": "30 days"},
            {"key": "americas", "variant": "Americas", "where": "the Americas", "hotel": "USD 250", "meals": "USD 75",
             "entertainment": "USD 500", "deadline": "45 days"},
            {"key": "apac", "variant": "APAC", "where": "APAC", "hotel": "USD 200", "meals": "USD 60",
             "entertainment": "USD 350", "deadline": "20 days"},
        ],
    },
    {
        "cluster": "salary-bands",
        "category": "hr",
        "visibility": "hr",
        "doc_id": "hr-salary-bands-{key}",
        "title": "Salary bands ({variant})",
        "text": (
            "CONFIDENTIAL: People team only. This document lists the current salary bands for the {variant} job "
            "family in the Berlin pay zone, as annual base salary. Level 1 ranges from {l1}, Level 2 from {l2} and "
            "Level 3 from {l3}. Offers above the midpoint of a band need approval from the {approver}. Bands are "
            "reviewed every {review} against external benchmark data bought by the People team. The variable pay "
            "target for these roles is {bonus} of base salary. Band information must not be shared with "
            "candidates or employees outside the formal offer and compensation review process, and printed copies "
            "must go in the confidential waste bins."
        ),
        "questions": [
            (("What is the pay range for a Level 2 role in {variant}?",
              "How much base salary can we offer a Level 2 hire in {variant}?"), "l2"),
            (("Who signs off offers above the band midpoint for {variant} roles?",
              "The offer for a {variant} candidate is above the band midpoint. Who has to approve it?"), "approver"),
            (("What variable pay target applies to the {variant} job family?",
              "What bonus target do {variant} employees have?"), "bonus"),
        ],
        "variants": [
            {"key": "engineering", "variant": "Engineering", "l1": "EUR 52,000 to EUR 64,000",
             "l2": "EUR 64,000 to EUR 80,000", "l3": "EUR 80,000 to EUR 98,000",
             "approver": "VP of Technology", "review": "October", "bonus": "10%"},
            {"key": "sales", "variant": "Sales", "l1": "EUR 44,000 to EUR 54,000",
             "l2": "EUR 54,000 to EUR 68,000", "l3": "EUR 68,000 to EUR 84,000",
             "approver": "Chief Revenue Officer", "review": "September", "bonus": "30%"},
            {"key": "operations", "variant": "Operations", "l1": "EUR 40,000 to EUR 50,000",
             "l2": "EUR 50,000 to EUR 62,000", "l3": "EUR 62,000 to EUR 76,000",
             "approver": "Chief Operating Officer", "review": "November", "bonus": "7%"},
        ],
    },
    {
        "cluster": "laptop-policy",
        "category": "it",
        "visibility": "all",
        "doc_id": "it-laptop-policy-{key}",
        "title": "Laptop policy ({variant})",
        "text": (
            "Laptop policy {variant}, effective {date}. Every employee receives a company laptop on their first day, "
            "set up by the Service Desk with full-disk encryption and the endpoint protection agent. Standard staff "
            "receive the {standard} model, and engineers may request the {developer} model instead. Laptops are "
            "replaced every {cycle}; a replacement is requested with an HW-LAP ticket and approved by {approver}. "
            "A lost or stolen laptop must be reported to the Service Desk within {report}. Employees may not install "
            "personal software without a software request, and laptops must be returned when employment ends. "
            "{status}"
        ),
        "questions": [
            (("Under the {variant} laptop rules, how often do laptops get replaced?",
              "What was the laptop refresh cycle in policy version {variant}?"), "cycle"),
            (("Which model do standard staff get under the {variant} rules for laptops?",
              "In the {variant} policy, which laptop is issued to non-engineers?"), "standard"),
            (("Per the {variant} laptop document, how quickly must I report a stolen laptop?",
              "What is the reporting deadline for a lost laptop in laptop policy {variant}?"), "report"),
        ],
        "variants": [
            {"key": "v1", "variant": "v1", "date": "1 March 2021", "standard": "NW-Standard 13",
             "developer": "NW-Pro 15", "cycle": "three years", "approver": "the line manager",
             "report": "24 hours", "status": "This version was withdrawn at the end of 2022."},
            {"key": "v2", "variant": "v2", "date": "1 January 2023", "standard": "NW-Standard 14",
             "developer": "NW-Pro 16", "cycle": "four years", "approver": "the department head",
             "report": "12 hours", "status": "This version was withdrawn in June 2024."},
            {"key": "v3", "variant": "v3", "date": "1 July 2024", "standard": "NW-Light 14",
             "developer": "NW-Max 16", "cycle": "42 months", "approver": "the Service Desk lead",
             "report": "four hours", "status": "This is the current version."},
        ],
    },
    {
        "cluster": "vpn-setup",
        "category": "it",
        "visibility": "all",
        "doc_id": "it-vpn-{key}",
        "title": "VPN setup ({variant})",
        "text": (
            "To reach internal systems from outside the office on a {variant} laptop, use the Tunnelink VPN client. "
            "Install it from {install}; version {version} or later is required. Open the client, enter the gateway "
            "address vpn.northwind.example, sign in with your Northwind account and approve the MFA push "
            "notification in Northwind Authenticator. The client writes its log to {log}, which the Service Desk "
            "may ask for. If the connection drops repeatedly, {fix}. Raise an SD-VPN ticket if the "
            "problem persists for more than 30 minutes. The VPN is required for the finance systems and the "
            "internal wiki, but not for email or chat."
        ),
        "questions": [
            (("Where do I get the VPN client for my {variant} machine?",
              "How do I install Tunnelink on {variant}?"), "install_answer"),
            (("Which folder holds the VPN client logs on {variant}?",
              "The Service Desk wants my VPN log. Where is it on a {variant} laptop?"), "log"),
            (("My VPN keeps dropping on {variant}. What should I try first?",
              "How do I fix repeated VPN disconnects on {variant}?"), "fix_answer"),
        ],
        "variants": [
            {"key": "windows", "variant": "Windows", "install": "the Company Portal app",
             "install_answer": "Company Portal app", "version": "6.1", "log": "C:\\ProgramData\\Tunnelink\\logs",
             "fix": "turn off the power-saving option for the network adapter in Device Manager",
             "fix_answer": "power-saving option"},
            {"key": "macos", "variant": "macOS", "install": "the Self Service app",
             "install_answer": "Self Service app", "version": "6.0", "log": "~/Library/Logs/Tunnelink",
             "fix": "remove and re-add the VPN profile under System Settings",
             "fix_answer": "re-add the VPN profile"},
            {"key": "linux", "variant": "Linux", "install": "the internal apt repository (package tunnelink-cli)",
             "install_answer": "tunnelink-cli", "version": "5.8", "log": "/var/log/tunnelink",
             "fix": "restart the background service with systemctl restart tunnelink",
             "fix_answer": "systemctl restart tunnelink"},
        ],
    },
    {
        "cluster": "on-call",
        "category": "it",
        "visibility": "all",
        "doc_id": "it-oncall-{key}",
        "title": "On-call rules ({variant} team)",
        "text": (
            "Engineers on the {variant} team rota are on call for {shift} at a time, with handover every {handover}. "
            "Pages are sent through the Beacon paging tool and must be acknowledged within {ack}; an unacknowledged "
            "page escalates to the secondary on-call and then to the {escalation}. Each on-call shift is compensated "
            "with {pay}. Nobody is scheduled for more than {max_shifts} shifts per quarter, and swaps must be "
            "recorded in Beacon before the shift starts. After a page outside working hours, the engineer may start "
            "the next working day up to three hours later. These rules apply only to this team; other teams have "
            "their own on-call rules."
        ),
        "questions": [
            (("How fast does the {variant} on-call engineer have to acknowledge a page?",
              "I'm on the {variant} rota. How long do I have to respond to a page?"), "ack"),
            (("What is the on-call pay for the {variant} team?",
              "How is {variant} on-call duty compensated?"), "pay"),
            (("Who does an unanswered {variant} page eventually escalate to?",
              "If nobody on the {variant} rota answers a page, who gets it in the end?"), "escalation"),
        ],
        "variants": [
            {"key": "platform", "variant": "Platform", "shift": "one week", "handover": "Monday at 10:00",
             "ack": "five minutes", "escalation": "Head of Infrastructure", "pay": "EUR 300 per week",
             "max_shifts": "four"},
            {"key": "data", "variant": "Data Engineering", "shift": "one week", "handover": "Tuesday at 11:00",
             "ack": "fifteen minutes", "escalation": "Head of Data", "pay": "EUR 250 per week",
             "max_shifts": "three"},
            {"key": "servicedesk", "variant": "Service Desk", "shift": "three days",
             "handover": "Monday and Thursday at 09:00", "ack": "thirty minutes", "escalation": "IT Support Manager",
             "pay": "EUR 40 per night", "max_shifts": "six"},
            {"key": "security", "variant": "Security", "shift": "one week", "handover": "Wednesday at 09:00",
             "ack": "two minutes", "escalation": "CISO", "pay": "EUR 350 per week",
             "max_shifts": "four"},
        ],
    },
    {
        "cluster": "credential-rotation",
        "category": "it",
        "visibility": "it",
        "doc_id": "it-credential-rotation-{key}",
        "title": "Credential rotation runbook ({variant})",
        "text": (
            "RESTRICTED: IT operations only. This runbook covers the rotation of service-account credentials and "
            "database passwords in the {variant} environment. Secrets live under the {path} path of the secrets "
            "vault and are rotated every {interval}. Rotation runs take place {window} and need a CHG change ticket "
            "approved by {approver}. Run the rotate-secrets job, confirm that every dependent service passes its "
            "health check within {health}, and then revoke the previous credentials. If a health check fails, "
            "restore the previous secret version from the vault and page the on-call infrastructure engineer. "
            "Record each rotation in the environment's change log."
        ),
        "questions": [
            (("How often are secrets rotated in {variant}?",
              "What is the rotation interval for {variant} database passwords?"), "interval"),
            (("Who approves the change ticket for a {variant} credential rotation?",
              "Whose approval does a CHG ticket for rotating {variant} secrets need?"), "approver"),
            (("When are {variant} secret rotations allowed to run?",
              "What is the time window for rotating credentials in {variant}?"), "window_answer"),
        ],
        "variants": [
            {"key": "production", "variant": "Production", "path": "kv/prod/", "interval": "30 days",
             "window": "on Sundays between 02:00 and 04:00 UTC", "window_answer": "Sundays between 02:00 and 04:00 UTC",
             "approver": "the Change Advisory Board", "health": "ten minutes"},
            {"key": "staging", "variant": "Staging", "path": "kv/stage/", "interval": "60 days",
             "window": "on Wednesdays between 18:00 and 20:00 UTC",
             "window_answer": "Wednesdays between 18:00 and 20:00 UTC",
             "approver": "the Platform team lead", "health": "20 minutes"},
            {"key": "development", "variant": "Development", "path": "kv/dev/", "interval": "90 days",
             "window": "on any weekday during working hours", "window_answer": "any weekday during working hours",
             "approver": "any senior infrastructure engineer", "health": "an hour"},
        ],
    },
    {
        "cluster": "printer-setup",
        "category": "it",
        "visibility": "all",
        "doc_id": "it-printer-{key}",
        "title": "Printing ({variant} office)",
        "text": (
            "Printing in the {variant} office uses secure follow-me printing. Add the print queue {queue} from the "
            "Company Portal, send your document, then release it at any printer by tapping your badge. Printers are "
            "located {location}. Jobs that are not released within {hold} are deleted automatically. Colour printing "
            "is {colour}. Paper and toner are refilled by {refill}; report hardware faults to the Service Desk with "
            "an SD-PRN ticket quoting the asset tag on the device. Personal printing is allowed up to 50 pages a "
            "month, and confidential documents should be collected immediately."
        ),
        "questions": [
            (("What's the name of the print queue in {variant}?",
              "Which printer queue do I add when I work from {variant}?"), "queue"),
            (("Where can I find the printers in the {variant} office?",
              "Where do I pick up my printouts in {variant}?"), "location_answer"),
            (("How long does a print job wait for release in {variant} before it's deleted?",
              "I sent something to print in {variant} yesterday. How long is it kept before it's deleted?"), "hold"),
        ],
        "variants": [
            {"key": "berlin", "variant": "Berlin", "queue": "BER-FOLLOWME",
             "location": "next to the kitchens on floors 2 and 4", "location_answer": "next to the kitchens",
             "hold": "12 hours", "colour": "enabled for all staff", "refill": "the reception team"},
            {"key": "lyon", "variant": "Lyon", "queue": "LYS-FOLLOWME",
             "location": "in the copy room beside the main staircase", "location_answer": "copy room",
             "hold": "24 hours", "colour": "available on request through the Service Desk",
             "refill": "the office manager"},
            {"key": "manchester", "variant": "Manchester", "queue": "MAN-FOLLOWME",
             "location": "by the lifts on every floor", "location_answer": "by the lifts",
             "hold": "eight hours", "colour": "limited to the Marketing team",
             "refill": "the building facilities desk"},
            {"key": "austin", "variant": "Austin", "queue": "AUS-FOLLOWME",
             "location": "in the mail room on the ground floor", "location_answer": "mail room",
             "hold": "48 hours", "colour": "switched off by default", "refill": "the mail room staff"},
        ],
    },
    {
        "cluster": "ai-risk-review",
        "category": "responsible_ai",
        "visibility": "all",
        "doc_id": "rai-risk-review-{key}",
        "title": "AI risk review ({variant})",
        "text": (
            "AI systems classified as {variant} ({level} risk) in the AI system register follow this review "
            "procedure. Typical examples are {examples}. Before deployment, the system owner completes the impact "
            "assessment form RAI-IA and submits it to {reviewer}, who issues a decision within {sla}. A fairness "
            "evaluation is required {fairness}. Approved systems are re-reviewed every {rereview}. Human oversight: "
            "{oversight}. The decision, the completed form and the evaluation results are attached to the register "
            "entry. Any change to the model, its training data or its intended use restarts the review, and the "
            "system owner must update the register entry for the system within five working days."
        ),
        "questions": [
            (("Who reviews the impact assessment for a {variant} AI system?",
              "Our model is classified {variant}. Who do we send the RAI-IA form to?"), "reviewer_answer"),
            (("How long does the review decision take for {variant} systems?",
              "How quickly do we get a decision on a {variant} risk review?"), "sla"),
            (("How often must an approved {variant} system be reviewed again?",
              "What is the re-review interval for {variant} AI systems?"), "rereview"),
        ],
        "variants": [
            {"key": "tier1", "variant": "Tier 1", "level": "low",
             "examples": "internal document search and meeting-note summaries",
             "reviewer": "the team's Responsible AI champion", "reviewer_answer": "Responsible AI champion",
             "sla": "three working days", "fairness": "only if the system ranks people",
             "rereview": "24 months", "oversight": "users can flag wrong outputs"},
            {"key": "tier2", "variant": "Tier 2", "level": "medium",
             "examples": "customer-facing chat assistants and pricing forecasts",
             "reviewer": "the Responsible AI Office", "reviewer_answer": "Responsible AI Office",
             "sla": "ten working days", "fairness": "on at least two protected attributes",
             "rereview": "12 months", "oversight": "a named reviewer samples outputs weekly"},
            {"key": "tier3", "variant": "Tier 3", "level": "high",
             "examples": "systems that support hiring, promotion or credit decisions",
             "reviewer": "the AI Review Board", "reviewer_answer": "AI Review Board",
             "sla": "20 working days", "fairness": "on every protected attribute",
             "rereview": "six months", "oversight": "a human approves every decision"},
        ],
    },
]

# --------------------------------------------------------------------------------------------------
# Singleton documents: each is its own cluster. A question is (question, answer found in the text).
# --------------------------------------------------------------------------------------------------

HR_DOCUMENTS: list[Record] = [
    {
        "doc_id": "hr-remote-work", "title": "Remote work policy", "visibility": "all",
        "text": (
            "Most roles at Northwind Analytics can be done partly from home. Employees may work remotely for up to "
            "three days a week, agreed with their line manager and recorded in the People Portal. Working from "
            "another country is limited to 20 working days per calendar year and needs a Remote Abroad approval "
            "(HR-RWA ticket) at least four weeks in advance, because of tax and social-security rules. The company "
            "pays a one-off home-office allowance of EUR 400 for a chair, desk or monitor, claimed through Expense "
            "Hub. Core collaboration hours are 10:00 to 15:00 local time, when employees should be reachable on "
            "chat and video. Company laptops must connect through the VPN on public networks."
        ),
        "questions": [
            ("How many days a week am I allowed to work from home?", "three days a week"),
            ("For how long per year can someone work from another country?", "20 working days"),
            ("Is there money for setting up a desk and chair at home?", "EUR 400"),
        ],
    },
    {
        "doc_id": "hr-business-travel", "title": "Business travel booking", "visibility": "all",
        "text": (
            "Book all business trips through the TravelDesk portal so that the company can locate travellers in an "
            "emergency. Trips need approval from the budget owner before anything is booked. Rail is the default for "
            "journeys under five hours; a flight on such a route requires a written reason. Economy class applies to "
            "all flights, except that flights longer than eight hours may be booked in premium economy. Travellers "
            "should book at least 14 days before departure where possible. The company travel insurance covers all "
            "approved trips; the policy number is NWA-TRV-2291, and the 24-hour assistance line is printed on the "
            "back of the travel card. After the trip, submit expenses in Expense Hub using the limits for your region."
        ),
        "questions": [
            ("Which tool do I use to book a work trip?", "TravelDesk"),
            ("When am I allowed to fly premium economy?", "longer than eight hours"),
            ("What's our travel insurance policy number?", "NWA-TRV-2291"),
        ],
    },
    {
        "doc_id": "hr-onboarding", "title": "Onboarding: your first two weeks", "visibility": "all",
        "text": (
            "Welcome to Northwind Analytics. On day one, collect your laptop and badge at reception at 09:00 and "
            "meet your onboarding buddy, who is assigned by your manager before you start. During the first week, "
            "complete the mandatory e-learning modules in the Academy platform: information security, data "
            "protection and the code of conduct. They must be finished within ten working days. Your manager will "
            "agree goals for the probation period in a meeting by the end of week two. The People team runs a "
            "welcome session on the first Thursday of the month for all new joiners. If your accounts do not work "
            "on day one, call the Service Desk on extension 4357."
        ),
        "questions": [
            ("What time should a new hire turn up on their first day?", "09:00"),
            ("Where do I find the mandatory training for new starters?", "Academy platform"),
            ("When is the welcome session for new joiners held?", "first Thursday of the month"),
        ],
    },
    {
        "doc_id": "hr-performance-reviews", "title": "Performance reviews", "visibility": "all",
        "text": (
            "Performance at Northwind Analytics is reviewed twice a year, with a mid-year check-in in July and the "
            "annual review in January. Before each review, employees write a self-assessment in the Pulse tool and "
            "may nominate up to four peers for feedback. Managers rate performance on a five-point scale, from "
            "'Not yet meeting' to 'Exceptional'. Ratings are calibrated across each department before they are "
            "shared, so managers cannot confirm a rating until calibration closes. The annual rating informs the "
            "salary review but is not the only factor. Employees who disagree with their rating can ask for a second "
            "conversation with their skip-level manager within 15 working days."
        ),
        "questions": [
            ("How many colleagues can I nominate to give me feedback?", "four peers"),
            ("Which tool is used to write the self-assessment?", "Pulse"),
            ("I disagree with my rating. Who can I talk to?", "skip-level manager"),
        ],
    },
    {
        "doc_id": "hr-relocation", "title": "Relocation support", "visibility": "all",
        "text": (
            "When Northwind Analytics asks an employee to move to another office, or hires someone who must "
            "relocate, the company offers a relocation package. It covers one return flight for a house-hunting "
            "visit, removal of household goods up to 20 cubic metres, and temporary housing for up to 60 days. A "
            "relocation allowance of one month's base salary, capped at EUR 8,000, is paid with the first salary in "
            "the new location. Visa and work-permit applications are handled by the external immigration adviser "
            "appointed by the People team. If the employee leaves voluntarily within 12 months of the move, the "
            "allowance must be repaid in full."
        ),
        "questions": [
            ("How long will the company pay for temporary housing after a move?", "60 days"),
            ("What is the most I can receive as a relocation allowance?", "EUR 8,000"),
            ("If I resign soon after moving, do I have to pay the allowance back?", "within 12 months"),
        ],
    },
    {
        "doc_id": "hr-learning-budget", "title": "Learning and training budget", "visibility": "all",
        "text": (
            "Each employee has an annual learning budget of EUR 1,500 for courses, conferences, certifications and "
            "books related to their role. Requests are made in the Academy platform and approved by the line "
            "manager; a single item above EUR 800 also needs approval from the department head. Up to five working "
            "days per year can be used as study leave for approved learning. If the company pays more than EUR "
            "3,000 towards a qualification and the employee resigns within 18 months, a pro-rata repayment applies. "
            "Unused budget does not carry over into the next year. Internal workshops run by colleagues are free "
            "and do not count against the budget."
        ),
        "questions": [
            ("How much money do I get each year for courses and conferences?", "EUR 1,500"),
            ("How many days of study leave can I take?", "five working days"),
            ("Above what amount does one training request need the department head's sign-off?", "EUR 800"),
        ],
    },
    {
        "doc_id": "hr-referral-programme", "title": "Employee referral programme", "visibility": "all",
        "text": (
            "Employees who refer a candidate who is then hired receive a referral bonus of EUR 2,000, paid after the "
            "new hire completes their probation period. Referrals must be submitted through the Careers page of the "
            "People Portal before the candidate applies directly or through an agency. Hiring managers and members "
            "of the interview panel for the role are not eligible for the bonus. There is no limit on the number of "
            "referrals a person can make. The bonus is taxable and appears on the regular payslip. Questions about "
            "the status of a referral go to the Talent Acquisition team at talent@northwind.example."
        ),
        "questions": [
            ("What do I get if a friend I recommended is hired?", "EUR 2,000"),
            ("When is the bonus for recommending a candidate paid out?", "completes their probation period"),
            ("Who do I email to check on a candidate I referred?", "talent@northwind.example"),
        ],
    },
    {
        "doc_id": "hr-leaving", "title": "Leaving Northwind Analytics", "visibility": "all",
        "text": (
            "Employees who resign should send written notice to their line manager and the People team. The standard "
            "notice period is one month during probation and three months afterwards, unless the employment "
            "contract says otherwise. Remaining vacation should be taken before the last day where possible. On the "
            "last day, return your laptop, badge and any other equipment to the Service Desk; accounts are disabled "
            "at 18:00 local time. An exit interview is offered by the People team and is voluntary. Final pay, "
            "including any unused vacation that could not be taken, is paid with the next regular payroll run. A "
            "reference letter can be requested through the People Portal."
        ),
        "questions": [
            ("How much notice do I have to give after my probation has ended?", "three months"),
            ("At what time are my accounts switched off on my final day?", "18:00"),
        ],
    },
    {
        "doc_id": "hr-benefits", "title": "Employee benefits overview", "visibility": "all",
        "text": (
            "Alongside salary, Northwind Analytics offers a set of benefits to all permanent employees. The company "
            "contributes 5% of base salary to the workplace pension, matched by an employee contribution of at least "
            "3%. A wellbeing allowance of EUR 50 per month can be spent on gym memberships, sports clubs or "
            "mental-health apps and is claimed quarterly in Expense Hub. All employees have free access to the "
            "confidential Employee Assistance Programme, which offers up to six counselling sessions per issue. "
            "Public-transport season tickets are subsidised by 50%. Benefits for employees outside the EU may differ; "
            "check the local addendum in the People Portal."
        ),
        "questions": [
            ("How much does Northwind pay into my pension?", "5% of base salary"),
            ("Is there an allowance for the gym?", "EUR 50 per month"),
            ("How many free counselling sessions can I get?", "six counselling sessions"),
        ],
    },
    {
        "doc_id": "hr-disciplinary-process", "title": "Disciplinary process", "visibility": "hr",
        "text": (
            "CONFIDENTIAL: People team and managers advised by the People team only. A disciplinary process starts "
            "only after a fact-finding investigation has been completed. The employee receives a written invitation "
            "to a disciplinary hearing at least five working days in advance, with copies of the evidence, and may "
            "bring a colleague or union representative. Possible outcomes are no action, a first written warning, a "
            "final written warning or dismissal. Warnings stay on file for 12 months (first) or 24 months (final). "
            "The employee may appeal in writing within ten working days; the appeal is heard by a manager who was not "
            "involved. Every case is logged in the ER case tracker with a reference beginning ER-."
        ),
        "questions": [
            ("How much notice must an employee get before a disciplinary hearing?", "five working days"),
            ("How long does a final written warning stay on someone's file?", "24 months"),
            ("What is the deadline for appealing a disciplinary outcome?", "ten working days"),
        ],
    },
    {
        "doc_id": "hr-investigation-procedure", "title": "Workplace investigation procedure", "visibility": "hr",
        "text": (
            "CONFIDENTIAL. This procedure is used when a complaint of harassment, discrimination, fraud or serious "
            "misconduct is received. The People team logs the complaint in the ER case tracker within one working "
            "day and appoints an investigator who has no reporting line to either party; for complaints about a "
            "director, an external investigator is used. Interviews are documented with written notes, which each "
            "interviewee reviews and signs within three working days. The investigation should be completed within "
            "30 calendar days. The investigator's report states findings of fact only and recommends whether a "
            "disciplinary hearing is needed. Access to case files is limited to the investigator, the HR business "
            "partner and the Head of People."
        ),
        "questions": [
            ("Who investigates a complaint made against a director?", "external investigator"),
            ("How long should a harassment investigation take?", "30 calendar days"),
            ("How quickly must a new misconduct complaint be logged?", "within one working day"),
        ],
    },
    {
        "doc_id": "hr-payroll-corrections", "title": "Payroll corrections", "visibility": "hr",
        "text": (
            "CONFIDENTIAL: Payroll and People team. When an employee has been underpaid or overpaid, the Payroll "
            "team raises a PAY-COR ticket with the calculation and supporting documents. Underpayments above EUR 100 "
            "are corrected with an off-cycle payment within five working days; smaller amounts are added to the next "
            "regular payroll. Overpayments are recovered only after the employee has been informed in writing and "
            "has agreed a repayment schedule; monthly deductions may not exceed 10% of net pay. Corrections that "
            "affect tax or social-security filings need a second review by the payroll controller. The payroll "
            "cut-off date is the 15th of each month."
        ),
        "questions": [
            ("Which underpayments get an off-cycle payment rather than waiting for the next payroll?", "above EUR 100"),
            ("What's the maximum we can deduct each month to recover an overpayment?", "10% of net pay"),
            ("When is payroll cut-off?", "15th of each month"),
        ],
    },
    {
        "doc_id": "hr-compensation-review", "title": "Annual compensation review", "visibility": "hr",
        "text": (
            "CONFIDENTIAL: People team and budget holders. The annual compensation review runs from 1 February to "
            "15 March, after performance calibration has closed. Finance sets the merit budget, which for this cycle "
            "is 3.5% of each department's payroll. Managers enter proposals in the Compensation module of the People "
            "Portal; a proposal above 8% for one person needs approval from the Head of People. Employees below the "
            "minimum of their salary band are moved to the minimum before merit increases are applied. New salaries "
            "take effect on 1 April and are communicated in individual letters. Proposals must not be discussed "
            "with employees before the letters are issued."
        ),
        "questions": [
            ("How big is the merit budget in this pay cycle?", "3.5%"),
            ("From what date do the new salaries apply?", "1 April"),
            ("Which raise proposals need the Head of People to approve them?", "above 8%"),
        ],
    },
    {
        "doc_id": "hr-background-checks", "title": "Pre-employment background checks", "visibility": "hr",
        "text": (
            "CONFIDENTIAL. Background checks are carried out only after a conditional offer has been accepted and "
            "only with the candidate's written consent. Standard checks cover identity, right to work and the last "
            "five years of employment history. Criminal record checks are carried out only for roles in Finance and "
            "for IT administrators, and only where local law allows. Checks are run by the screening provider "
            "through the Talent Acquisition team and usually take eight working days. Results are stored in the "
            "candidate file and deleted six months after the check if the candidate does not join. Adverse findings "
            "are reviewed by the Head of People before any offer is withdrawn."
        ),
        "questions": [
            ("How far back do we check a candidate's employment history?", "five years"),
            ("For which jobs do we run criminal record checks?", "IT administrators"),
            ("When are screening results deleted if the candidate never starts?", "six months after the check"),
        ],
    },
    {
        "doc_id": "hr-improvement-plans", "title": "Performance improvement plans", "visibility": "hr",
        "text": (
            "CONFIDENTIAL: for managers advised by an HR business partner. A performance improvement plan (PIP) is "
            "used when performance has not met expectations for at least one review cycle despite documented "
            "feedback. The manager drafts the PIP with the HR business partner using the PIP-01 template, setting no "
            "more than five measurable objectives. The plan normally runs for 60 days, with written check-ins every "
            "two weeks. At the end, the outcome is successful completion, an extension of up to 30 days, or referral "
            "to the disciplinary process. Employees on a PIP keep all benefits and may ask the People team for "
            "coaching support. A PIP cannot start during sick leave or parental leave."
        ),
        "questions": [
            ("How long does a PIP normally run?", "60 days"),
            ("What is the maximum number of objectives in an improvement plan?", "five measurable objectives"),
            ("Which template should a manager use to write a PIP?", "PIP-01"),
        ],
    },
    {
        "doc_id": "hr-case-file-retention", "title": "Retention of HR case files", "visibility": "hr",
        "text": (
            "CONFIDENTIAL. HR case files, including investigation notes, disciplinary records and grievance outcomes, "
            "are stored only in the ER case tracker, never in email or shared drives. Closed cases are retained for "
            "six years after the employee leaves and are then deleted by the People Operations lead in the January "
            "purge run. Medical information is held separately and deleted two years after the related absence "
            "ends. Employees can request a copy of their own records through a subject access request, which must be "
            "answered within one month. Printed copies must be shredded in the confidential waste bins, never put in "
            "the general recycling."
        ),
        "questions": [
            ("How long do we keep a closed HR case after the employee has left?", "six years"),
            ("When is medical information from an absence deleted?", "two years after the related absence ends"),
            ("Where are grievance and disciplinary files supposed to be stored?", "ER case tracker"),
        ],
    },
    {
        "doc_id": "hr-termination-checklist", "title": "Termination checklist for HR", "visibility": "hr",
        "text": (
            "CONFIDENTIAL: People team. When employment ends, the HR business partner opens an OFF-TERM ticket at "
            "least five working days before the leaving date, or immediately for a summary dismissal. The ticket "
            "notifies Payroll, the Service Desk and the line manager. Payroll calculates final pay and holiday "
            "compensation; the Service Desk schedules account deactivation for the end of the last day, or "
            "immediately if the People team marks the case as urgent. Any settlement agreement must be reviewed by "
            "external employment counsel before it is sent. The leaver's personnel file is archived within 30 days. "
            "Never announce a dismissal to the wider team before the employee has been informed."
        ),
        "questions": [
            ("Which ticket does HR open when someone's employment is ending?", "OFF-TERM"),
            ("Who has to check a settlement agreement before it goes out?", "external employment counsel"),
        ],
    },
]

IT_DOCUMENTS: list[Record] = [
    {
        "doc_id": "it-password-reset", "title": "Resetting your password", "visibility": "all",
        "text": (
            "If you forget your Northwind password, use the self-service page at reset.northwind.example from any "
            "browser; you will need your registered phone to receive a one-time code. Passwords must be at least 14 "
            "characters long and cannot repeat any of your last ten passwords. They expire every 180 days, and a "
            "reminder email arrives 14 days before. After five failed sign-in attempts the account locks for 15 "
            "minutes. If self-service does not work, call the Service Desk on extension 4357 and quote ticket type "
            "SD-PWD; the agent will verify your identity on a video call before resetting anything. Never share your "
            "password, not even with the Service Desk."
        ),
        "questions": [
            ("How long does my password have to be?", "14 characters"),
            ("How often do I have to change my password?", "180 days"),
            ("Which website lets me reset a forgotten password myself?", "reset.northwind.example"),
        ],
    },
    {
        "doc_id": "it-mfa", "title": "Multi-factor authentication (MFA)", "visibility": "all",
        "text": (
            "All Northwind accounts are protected by multi-factor authentication (MFA). New employees enrol on their "
            "first day by scanning a QR code with the Northwind Authenticator app on their phone. A FIDO2 security "
            "key is issued as the second factor to administrators, Finance staff and anyone who cannot use a "
            "smartphone. SMS codes are not accepted as a second factor. If you get a new phone, move your MFA "
            "registration before wiping the old one; otherwise raise an SD-MFA ticket and the Service Desk will "
            "reset your registration after a video identity check. Unexpected MFA prompts that you did not trigger "
            "must be rejected and reported as a security incident."
        ),
        "questions": [
            ("Which app do I need for the second sign-in factor?", "Northwind Authenticator"),
            ("Can I receive my sign-in codes by text message?", "SMS codes are not accepted"),
            ("What kind of hardware key do administrators get as their second factor?", "FIDO2"),
        ],
    },
    {
        "doc_id": "it-software-requests", "title": "Requesting software", "visibility": "all",
        "text": (
            "Approved software, such as the office suite, the diagramming tool and common developer tools, can be "
            "installed directly from the Company Portal without a ticket. Anything not listed there must be requested "
            "with an SW-REQ ticket that states the business need, the number of licences and the cost centre. The "
            "Service Desk checks the licensing terms and the IT Security team reviews the tool for data-protection "
            "risks; the target turnaround is seven working days. Software costing more than EUR 1,000 per year needs "
            "the budget owner's approval. Free trials of cloud services that process company data also need an "
            "SW-REQ ticket. Browser extensions are limited to the approved list."
        ),
        "questions": [
            ("What kind of ticket do I raise to get a new application installed?", "SW-REQ"),
            ("How long does it usually take to approve a new tool?", "seven working days"),
            ("When does a software purchase need the budget owner to approve it?", "more than EUR 1,000 per year"),
        ],
    },
    {
        "doc_id": "it-email-quotas", "title": "Email storage quotas", "visibility": "all",
        "text": (
            "Each personal mailbox has a storage quota of 50 GB, and shared mailboxes have 25 GB. You receive a "
            "warning when a mailbox reaches 90% of its quota, and sending is blocked at 100% until space is freed. "
            "Attachments larger than 25 MB cannot be sent; share a link from NorthDrive instead. Items in Deleted "
            "Items are purged automatically after 30 days. Email older than three years is moved to the online "
            "archive, which has no size limit and remains searchable. A larger quota is approved only for mailboxes "
            "under legal hold or for executive assistants, and needs an SD-MAIL ticket."
        ),
        "questions": [
            ("How much storage does my mailbox have?", "50 GB"),
            ("What's the biggest file I can attach to an email?", "25 MB"),
            ("When do old messages get moved to the online archive?", "older than three years"),
        ],
    },
    {
        "doc_id": "it-file-backup", "title": "Backing up your work", "visibility": "all",
        "text": (
            "Files saved in your personal folder on NorthDrive, the company file storage, are backed up automatically "
            "every hour, and you can restore earlier versions yourself for 30 days from the version history. Files "
            "stored only on your laptop's local disk are not backed up, so keep work documents in NorthDrive. Team "
            "folders are backed up nightly at 01:00 and kept for 90 days. To recover something older, or an entire "
            "folder, raise an SD-RESTORE ticket stating the path and the date you need. External USB drives must not "
            "be used for backups of company data. When your laptop is replaced, the Service Desk does not copy "
            "local files to the new device."
        ),
        "questions": [
            ("How often is my personal NorthDrive folder backed up?", "every hour"),
            ("For how long are team folder backups kept?", "90 days"),
            ("What ticket do I raise to get an old folder back?", "SD-RESTORE"),
        ],
    },
    {
        "doc_id": "it-security-incidents", "title": "Reporting a security incident", "visibility": "all",
        "text": (
            "Report any suspected security incident immediately, even if you are not sure. Examples include a lost "
            "device, malware warnings, data sent to the wrong recipient or someone tailgating into the office. Call "
            "the Security Operations hotline on extension 7777, available 24 hours a day, or email "
            "security@northwind.example if calling is not possible. Do not investigate yourself, do not switch off "
            "an affected laptop, and disconnect it from the network instead. Security Operations opens an INC "
            "ticket and decides within four hours whether the data protection officer must be involved. Personal "
            "data breaches may have to be notified to the regulator within 72 hours, which is why speed matters."
        ),
        "questions": [
            ("What number should I call if I think my laptop has malware?", "extension 7777"),
            ("Should I turn off a laptop that might be compromised?", "do not switch off"),
            ("How quickly might a data breach have to be reported to the regulator?", "72 hours"),
        ],
    },
    {
        "doc_id": "it-phishing", "title": "Phishing and suspicious email", "visibility": "all",
        "text": (
            "Phishing emails try to trick you into clicking a link, opening an attachment or sharing credentials. "
            "Check the sender address, look for urgency or unusual payment requests, and hover over links before "
            "clicking. Messages from outside the company are marked with an [EXTERNAL] tag in the subject line. Use "
            "the Report Phish button in the mail client to send a suspicious message to the security team; this "
            "also removes it from your inbox. If you already clicked a link or entered your password, reset your "
            "password at once and call Security Operations on extension 7777. Simulated phishing campaigns run every "
            "quarter, and employees who click receive a short refresher module."
        ),
        "questions": [
            ("How do I flag a dodgy-looking email?", "Report Phish button"),
            ("How can I tell that an email came from outside the company?", "[EXTERNAL]"),
            ("How often are the fake phishing tests sent?", "every quarter"),
        ],
    },
    {
        "doc_id": "it-mobile-devices", "title": "Company data on mobile phones", "visibility": "all",
        "text": (
            "Company email, chat and calendar may be used on personal or company phones only after the device is "
            "enrolled in the Northwind device management app. Enrolment creates a separate work profile; IT can see "
            "and wipe only that profile, never personal photos or messages. Phones must run an operating system "
            "version that still receives security updates and must have a screen lock of at least six digits. "
            "Company-paid phones are replaced every three years and are ordered with an HW-MOB ticket. A lost phone "
            "must be reported to the Service Desk the same day so that the work profile can be wiped remotely. "
            "Jailbroken or rooted phones are blocked automatically."
        ),
        "questions": [
            ("How long does the PIN on my phone have to be?", "at least six digits"),
            ("Which ticket do I use to order a work phone?", "HW-MOB"),
            ("Can IT look at my private pictures once my phone is enrolled?", "never personal photos"),
        ],
    },
    {
        "doc_id": "it-guest-wifi", "title": "Wi-Fi for guests", "visibility": "all",
        "text": (
            "Visitors connect to the NW-Guest network; employees use NW-Corp, which signs in automatically on company "
            "laptops. Guest access codes are created by the host at reception or in the Visitor app and are valid for "
            "24 hours. The guest network is isolated from internal systems and limited to 20 Mbit/s per device. "
            "Employees must not connect company laptops to NW-Guest, nor personal devices to NW-Corp. For events with "
            "more than 30 external participants, request a dedicated event network through an SD-NET ticket at least "
            "ten working days in advance. Network outages in any office are reported to the Service Desk."
        ),
        "questions": [
            ("Which wireless network should my visitor join?", "NW-Guest"),
            ("How long does a guest access code work?", "24 hours"),
            ("How early do I need to ask for a separate network for an event?", "ten working days"),
        ],
    },
    {
        "doc_id": "it-team-folders", "title": "Team folders on NorthDrive", "visibility": "all",
        "text": (
            "Each department has a team folder on NorthDrive, the company file storage. Access is granted by the "
            "folder owner, normally the department head, through an ACC-FOLDER request in the Service Desk portal; "
            "the Service Desk never grants access without the owner's approval. Folder owners review the member list "
            "every six months. Sharing links for people outside the company expire after 30 days and are blocked for "
            "folders labelled Confidential. Each team folder can hold 2 TB; ask the Service Desk before uploading "
            "large datasets. Deleted files stay in the recycle bin for 93 days before they are removed for good."
        ),
        "questions": [
            ("Who decides whether I can join my department's shared folder?", "folder owner"),
            ("When do links shared with external people stop working?", "after 30 days"),
            ("What is the storage limit for a department folder?", "2 TB"),
        ],
    },
    {
        "doc_id": "it-admin-rights", "title": "Local administrator rights", "visibility": "it",
        "text": (
            "RESTRICTED: IT staff only. Standard users do not have local administrator rights. Temporary elevation is "
            "granted through the Elevate tool for 60 minutes after the user enters a justification; every elevation "
            "is logged and reviewed weekly by IT Security. Permanent local admin rights are granted only to members "
            "of the Endpoint Engineering and Platform teams, after an ADM-REQ ticket approved by the IT Security "
            "manager. Admin rights are removed automatically after 90 days without use. Service Desk agents must "
            "never create local accounts on user laptops; if Elevate is unavailable, use the vault-managed local "
            "admin password and rotate it immediately after the session."
        ),
        "questions": [
            ("How long does a temporary elevation granted by Elevate last?", "60 minutes"),
            ("Who approves permanent local admin rights?", "IT Security manager"),
            ("When are unused admin rights taken away?", "after 90 days without use"),
        ],
    },
    {
        "doc_id": "it-break-glass-accounts", "title": "Break-glass accounts", "visibility": "it",
        "text": (
            "RESTRICTED: IT operations only. Two break-glass accounts, bg-admin-01 and bg-admin-02, exist for "
            "emergencies when the identity provider or the MFA service is unavailable. Their passwords are split "
            "into two halves kept in sealed envelopes in the safes of the Berlin and Austin offices. Using a "
            "break-glass account requires verbal approval from the CIO or the IT Security manager and an incident "
            "ticket opened at the same time. Every sign-in triggers an alert to Security Operations. After use, the "
            "passwords are rotated within 24 hours and new envelopes are sealed by two people. The accounts are "
            "tested once per quarter by signing in and out."
        ),
        "questions": [
            ("What are the emergency admin accounts called?", "bg-admin-01 and bg-admin-02"),
            ("Where are the emergency account passwords kept?", "sealed envelopes"),
            ("How soon after an emergency login must its password be changed?", "within 24 hours"),
        ],
    },
    {
        "doc_id": "it-server-patching", "title": "Server patching runbook", "visibility": "it",
        "text": (
            "RESTRICTED: IT operations. Security patches for Linux and Windows servers are applied in monthly waves. "
            "Wave 1 covers development servers on the second Tuesday of the month, wave 2 covers staging two days "
            "later, and wave 3 covers production the following Sunday between 01:00 and 05:00 UTC. Critical "
            "vulnerabilities with a CVSS score of 9.0 or higher are patched within 72 hours outside the normal waves, "
            "under an emergency change ticket. Before wave 3, confirm that snapshots exist for every database server. "
            "Servers that fail to reboot are rolled back from the snapshot and escalated to the on-call "
            "infrastructure engineer. Patch compliance is reported to IT Security on the first working day of each "
            "month."
        ),
        "questions": [
            ("In which window are production servers patched?", "between 01:00 and 05:00 UTC"),
            ("How fast must a critical vulnerability be patched?", "within 72 hours"),
            ("Which CVSS score makes a vulnerability critical?", "9.0 or higher"),
        ],
    },
    {
        "doc_id": "it-firewall-changes", "title": "Firewall change procedure", "visibility": "it",
        "text": (
            "RESTRICTED: Network team. Every firewall rule change requires an FW-CHG ticket naming the source, "
            "destination, port and business owner. Rules that open inbound access from the internet need approval "
            "from the IT Security manager and a penetration test of the exposed service. Standard changes are made "
            "in the Thursday change window from 19:00 to 21:00 CET. Temporary rules must carry an expiry date and are "
            "removed automatically after at most 30 days. All rules are reviewed twice a year, and any rule without "
            "a named business owner is disabled. The configuration is exported to the network repository after "
            "each change."
        ),
        "questions": [
            ("When are standard firewall changes made?", "19:00 to 21:00 CET"),
            ("Which ticket is needed to change a firewall rule?", "FW-CHG"),
            ("What is the longest a temporary firewall rule can stay in place?", "30 days"),
        ],
    },
    {
        "doc_id": "it-restore-runbook", "title": "Backup restore runbook", "visibility": "it",
        "text": (
            "RESTRICTED: IT operations. Use this runbook to restore servers or databases from the backup platform. "
            "Production databases have point-in-time recovery for 35 days; file servers are backed up nightly with "
            "90-day retention, and a monthly copy is kept offline for seven years. Before restoring, confirm the "
            "restore point with the requester in the SD-RESTORE ticket and get approval from the system owner. "
            "Restore production data into the isolated recovery network first and validate it before switching "
            "traffic. The recovery time objective for tier-one systems is four hours. A full restore test of one "
            "production database is performed every quarter and documented in the DR log."
        ),
        "questions": [
            ("How far back can we do point-in-time recovery on production databases?", "35 days"),
            ("What is the recovery time objective for tier-one systems?", "four hours"),
            ("How long is the offline monthly backup copy retained?", "seven years"),
        ],
    },
    {
        "doc_id": "it-privileged-access-review", "title": "Privileged access review", "visibility": "it",
        "text": (
            "RESTRICTED: IT Security. Every quarter, IT Security exports the members of all privileged groups, "
            "including domain administrators, cloud owner roles and database administrators, from the identity "
            "provider. Each system owner must confirm or remove every entry within 15 working days using the "
            "ACC-REVIEW form. Accounts that are not confirmed by the deadline are disabled automatically. Shared "
            "administrator accounts are not allowed, with the single exception of the break-glass accounts. The "
            "results, including the number of removals, are reported to the CIO and retained for three years as "
            "audit evidence."
        ),
        "questions": [
            ("How long do system owners have to confirm privileged accounts?", "15 working days"),
            ("What happens to an admin account nobody confirms in the quarterly review?", "disabled automatically"),
            ("How long are the results of the access review kept?", "three years"),
        ],
    },
]

RESPONSIBLE_AI_DOCUMENTS: list[Record] = [
    {
        "doc_id": "rai-principles", "title": "Responsible AI principles", "visibility": "all",
        "text": (
            "Northwind Analytics builds and uses AI systems according to six principles: fairness, reliability, "
            "privacy, transparency, human oversight and accountability. Every AI system has a named system owner who "
            "is accountable for how it behaves in production. The Responsible AI Office, reachable at "
            "rai@northwind.example, maintains the standards in this handbook and supports teams, while the AI Review "
            "Board decides on high-risk systems. The principles apply to systems we build, systems we buy and the "
            "generative AI tools used by employees. Where a principle conflicts with a delivery deadline, the "
            "principle wins and the deadline moves."
        ),
        "questions": [
            ("How many principles guide our use of AI?", "six principles"),
            ("What is the email address of the Responsible AI Office?", "rai@northwind.example"),
            ("What happens when an AI principle clashes with a delivery deadline?", "the principle wins"),
        ],
    },
    {
        "doc_id": "rai-fairness-review", "title": "Fairness review process", "visibility": "all",
        "text": (
            "A fairness review checks whether an AI system performs equally well for different groups of people. The "
            "system owner prepares an evaluation set labelled with the relevant attributes, such as gender, age band "
            "and country, and reports error rates for each group. A gap of more than five percentage points between "
            "any two groups must be explained and either fixed or accepted in writing by the AI Review Board. Results "
            "are recorded in the FR-01 report template and attached to the system's model card. The Responsible AI "
            "Office offers office hours every Wednesday to help teams design their evaluation. Fairness reviews are "
            "repeated after each retraining."
        ),
        "questions": [
            ("How large a gap in error rates between groups has to be explained?", "more than five percentage points"),
            ("Which report template records the results of a bias check?", "FR-01"),
            ("When can I get help from the Responsible AI Office with my evaluation design?", "every Wednesday"),
        ],
    },
    {
        "doc_id": "rai-transparency", "title": "Transparency about AI use", "visibility": "all",
        "text": (
            "People have a right to know when they are interacting with AI. Any chat assistant, email or report "
            "generated by an AI system and shown to customers or employees must carry a clear disclosure, such as "
            "'This answer was generated by an AI assistant'. Customer-facing assistants must offer a way to reach a "
            "human within two interactions. When an AI system contributes to a decision about a person, that person "
            "can request a plain-language explanation of the main factors, which the system owner must provide "
            "within 30 days. Disclosure texts are approved by the Legal team and listed in the system's model card."
        ),
        "questions": [
            ("How quickly must a customer chatbot offer a way to talk to a person?", "within two interactions"),
            ("How long does the system owner have to explain an AI-assisted decision to someone?", "within 30 days"),
            ("Who signs off the wording that tells people they are talking to AI?", "Legal team"),
        ],
    },
    {
        "doc_id": "rai-human-oversight", "title": "Human oversight of AI decisions", "visibility": "all",
        "text": (
            "AI systems at Northwind Analytics support people; they do not make final decisions that significantly "
            "affect individuals. For hiring, promotion, performance and credit decisions, a trained human reviewer "
            "must read the AI output and the underlying information before deciding, and must record the decision "
            "and the reason in the case system. Reviewers must be able to override the AI output without needing "
            "approval. The system owner monitors how often reviewers agree with the AI; an agreement rate above 98% "
            "over a quarter is a warning sign of rubber-stamping and triggers a refresher session for reviewers. "
            "Automated rejections of job applicants are not permitted."
        ),
        "questions": [
            ("What agreement rate suggests reviewers are just rubber-stamping the model?", "above 98%"),
            ("Can a job applicant be rejected automatically by an AI system?", "not permitted"),
            ("Do reviewers need permission to overrule the AI?", "without needing approval"),
        ],
    },
    {
        "doc_id": "rai-personal-data", "title": "Personal data in AI systems", "visibility": "all",
        "text": (
            "Personal data may be used to train or prompt an AI system only when the purpose is documented in the AI "
            "system register and the data protection officer has approved a data protection impact assessment "
            "(DPIA). Use the minimum data needed: remove names, email addresses and employee numbers unless the use "
            "case requires them. Special categories of data, such as health or ethnicity, are prohibited in training "
            "data unless the AI Review Board grants an exception. Deletion requests from individuals must also be "
            "applied to training sets before the next retraining. Data protection questions go to "
            "dpo@northwind.example."
        ),
        "questions": [
            ("Who has to approve the DPIA before personal data goes into a model?", "data protection officer"),
            ("Where do I send data protection questions?", "dpo@northwind.example"),
            ("May health data be used to train a model?", "prohibited in training data"),
        ],
    },
    {
        "doc_id": "rai-model-cards", "title": "Model cards", "visibility": "all",
        "text": (
            "Every AI model deployed at Northwind Analytics, whether built internally or fine-tuned from a vendor "
            "model, needs a model card before release. The card is written in the MC-02 template and stored next to "
            "the model in the model registry. It describes the intended use and out-of-scope uses, the training data "
            "and its date range, evaluation results including fairness metrics, known limitations, and the contact "
            "details of the system owner. Model cards are reviewed by the Responsible AI Office and must be updated "
            "within ten working days of any retraining. Cards for customer-facing systems are published on the "
            "internal wiki so that support staff can answer questions."
        ),
        "questions": [
            ("Which template do I use to document a model before release?", "MC-02"),
            ("Where is the documentation card for a model kept?", "model registry"),
            ("How soon after retraining must the model's documentation be updated?", "within ten working days"),
        ],
    },
    {
        "doc_id": "rai-training-data-retention", "title": "Retention of AI training data", "visibility": "all",
        "text": (
            "Training, validation and evaluation datasets are kept for as long as the model trained on them is in "
            "production, plus two years, so that decisions can be investigated later. Raw logs of prompts and "
            "responses from AI assistants are kept for 90 days and then deleted, unless they are part of an open "
            "incident. Logs used for evaluation must be pseudonymised before they leave the production environment. "
            "Each dataset is registered in the data catalogue with an owner and a deletion date. The data owner "
            "receives an automatic reminder 30 days before the deletion date and must either confirm deletion or "
            "record a justified extension."
        ),
        "questions": [
            ("How long are chatbot prompt and response logs stored?", "90 days"),
            ("How long is a training set kept once its model leaves production?", "plus two years"),
            ("What must happen to logs before they are used for evaluation outside production?", "pseudonymised"),
        ],
    },
    {
        "doc_id": "rai-incident-escalation", "title": "Escalating AI incidents", "visibility": "all",
        "text": (
            "An AI incident is any event in which an AI system causes or nearly causes harm, for example "
            "discriminatory output, leaked personal data, unsafe advice or a sudden jump in error rates. Anyone who "
            "notices an incident reports it in the AI-INC queue of the Service Desk portal. The system owner must "
            "acknowledge the report within four hours and decide whether to pause the system. Severity 1 incidents, "
            "those affecting customers or many employees, are escalated to the Head of Responsible AI and the AI "
            "Review Board within 24 hours. A written post-incident review is due within ten working days, and its "
            "lessons are added to the model card."
        ),
        "questions": [
            ("Our chatbot gave discriminatory answers. Where do I report it?", "AI-INC queue"),
            ("How quickly must the owner respond to a reported AI problem?", "within four hours"),
            ("Who is told about a severity 1 AI incident?", "Head of Responsible AI"),
        ],
    },
    {
        "doc_id": "rai-generative-ai-use", "title": "Approved use of generative AI tools", "visibility": "all",
        "text": (
            "Employees may use the company's approved generative AI assistant, NorthChat, for drafting, summarising, "
            "coding help and brainstorming. NorthChat runs in our own cloud tenant, and prompts are not used to train "
            "external models. Public AI chatbots must not receive confidential information, customer data or source "
            "code. Always review generated content before using it: you remain responsible for its accuracy. "
            "Generated code must pass the same code review as human-written code, and AI-drafted text sent to "
            "customers must be disclosed. Requests to use other generative AI tools go through an SW-REQ ticket and "
            "a review by the Responsible AI Office."
        ),
        "questions": [
            ("What's the name of the chatbot we're allowed to use at work?", "NorthChat"),
            ("Where is the company's AI assistant hosted?", "our own cloud tenant"),
            ("How do I ask to use a different AI writing tool?", "SW-REQ ticket"),
        ],
    },
    {
        "doc_id": "rai-vendor-assessment", "title": "Assessing third-party AI vendors", "visibility": "all",
        "text": (
            "Before buying a product that contains AI features, Procurement sends the vendor the AI vendor "
            "questionnaire (form RAI-VQ). It asks where data is processed, whether customer data is used to train the "
            "vendor's models, what evaluation and bias testing the vendor performs, and how incidents are reported to "
            "customers. The Responsible AI Office scores the answers and places the product in a risk tier. Contracts "
            "must include a clause that forbids the vendor to train on Northwind data without written consent, and a "
            "commitment to notify us of AI incidents within 72 hours. Vendors are reassessed every two years or when "
            "they release a major new AI feature."
        ),
        "questions": [
            ("Which questionnaire do we send to suppliers of AI products?", "RAI-VQ"),
            ("How often are AI suppliers assessed again?", "every two years"),
            ("How fast must a vendor tell us about an AI incident?", "within 72 hours"),
        ],
    },
    {
        "doc_id": "rai-red-teaming", "title": "Pre-release evaluation and red-teaming", "visibility": "all",
        "text": (
            "Generative AI systems that will be used by customers or by more than 50 employees must be red-teamed "
            "before release. A group of at least three testers who did not build the system spends two days trying "
            "to make it produce harmful, false, biased or confidential output. Findings are logged in the evaluation "
            "tracker and classified as blocking or non-blocking. All blocking findings must be fixed and re-tested "
            "before launch. In addition, the system must reach the accuracy threshold agreed in its model card on a "
            "held-out test set that the developers have not seen. The Responsible AI Office keeps a shared library "
            "of adversarial prompts that teams should reuse."
        ),
        "questions": [
            ("How many internal users make red-teaming mandatory for a generative AI tool?",
             "more than 50 employees"),
            ("How many people must take part in a red-team exercise?", "at least three testers"),
            ("How long does the adversarial testing exercise last?", "two days"),
        ],
    },
    {
        "doc_id": "rai-system-register", "title": "The AI system register", "visibility": "all",
        "text": (
            "All AI systems in use at Northwind Analytics must be listed in the AI system register, which the "
            "Responsible AI Office maintains in the internal wiki. An entry records the system name, owner, purpose, "
            "risk tier, data sources, vendor if any, and the date of the last review. New systems are registered "
            "before the pilot starts, not at launch. System owners confirm their entries every six months; entries "
            "that are not confirmed are flagged to the owner's director. Retired systems stay in the register, "
            "marked as retired, for at least two years. Spreadsheet macros and simple rule-based automations do not "
            "need to be registered."
        ),
        "questions": [
            ("When does a new AI tool have to be added to the inventory?", "before the pilot starts"),
            ("How often must owners confirm their AI inventory entries?", "every six months"),
            ("Do simple rule-based automations have to be listed?", "do not need to be registered"),
        ],
    },
    {
        "doc_id": "rai-production-monitoring", "title": "Monitoring AI systems in production", "visibility": "all",
        "text": (
            "Once an AI system is live, its owner must monitor it continuously. Each system has a monitoring "
            "dashboard showing input drift, output quality on a weekly labelled sample, and performance per user "
            "group. Alerts fire when accuracy drops by more than three percentage points from the release baseline "
            "or when drift exceeds the threshold set in the model card. The owner reviews the dashboard at least "
            "weekly and records a short monthly health note. If a fairness gap grows beyond the limit accepted at "
            "review, the situation is treated as an AI incident. Monitoring data is kept for 13 months to allow "
            "year-on-year comparison."
        ),
        "questions": [
            ("How big a drop in accuracy sets off an alert for a live model?", "more than three percentage points"),
            ("How long do we keep dashboard data for deployed models?", "13 months"),
        ],
    },
    {
        "doc_id": "rai-generated-content", "title": "Labelling AI-generated content", "visibility": "all",
        "text": (
            "Images, videos and audio created with generative AI for marketing or external communication must be "
            "labelled 'Created with AI' in a visible caption or credit line. Synthetic images of real people, "
            "including colleagues, require the person's written consent, and synthetic voices of real people are not "
            "allowed. The Brand team checks that generated material does not imitate the style of a named living "
            "artist or reproduce trademarks. Prompts and the tool used are recorded in the asset library with each "
            "file. Internal slides with generated illustrations do not need a label, but must not be reused "
            "externally without one."
        ),
        "questions": [
            ("What caption goes on a marketing image made with AI?", "Created with AI"),
            ("Can we clone a real person's voice for an advert?", "not allowed"),
            ("Who checks AI-made images for trademark problems?", "Brand team"),
        ],
    },
    {
        "doc_id": "rai-ai-literacy", "title": "AI literacy training", "visibility": "all",
        "text": (
            "Every employee completes the AI Essentials course in the Academy platform within 60 days of joining and "
            "then once a year. The course takes about 45 minutes and covers how generative AI works, its typical "
            "errors, what data may be shared with AI tools and how to report an AI incident. System owners and "
            "developers of AI systems also complete the Responsible AI Practitioner track, a four-hour workshop run "
            "by the Responsible AI Office each quarter. Completion is tracked in the Academy platform, and managers "
            "see overdue training for their team. Access to NorthChat is paused for anyone whose AI Essentials "
            "course is more than 30 days overdue."
        ),
        "questions": [
            ("How soon after joining must I finish the AI Essentials course?", "within 60 days"),
            ("How long is the practitioner workshop for AI developers?", "four-hour workshop"),
            ("What happens if my AI course is overdue?", "Access to NorthChat is paused"),
        ],
    },
    {
        "doc_id": "rai-synthetic-data", "title": "Using synthetic data", "visibility": "all",
        "text": (
            "Synthetic data can reduce privacy risk when building or testing AI systems, but it is not automatically "
            "anonymous. Before synthetic data derived from personal data is shared outside the team that generated "
            "it, the team must run the privacy check in the DataGuard tool, which tests whether any record can be "
            "linked back to a real person. Datasets that pass are labelled SYNTHETIC in the data catalogue. Synthetic "
            "data must not be the only data used to evaluate a model before release; at least one evaluation must "
            "use real, representative data. Fully invented datasets, such as a fictional handbook written by hand, "
            "do not need the DataGuard check."
        ),
        "questions": [
            ("Which tool checks whether generated records can be linked back to real people?", "DataGuard"),
            ("How are approved artificial datasets marked in the data catalogue?", "SYNTHETIC"),
        ],
    },
]

GENERAL_DOCUMENTS: list[Record] = [
    {
        "doc_id": "gen-company-overview", "title": "About Northwind Analytics", "visibility": "all",
        "text": (
            "Northwind Analytics is a fictional data-analytics consultancy invented for this course, and every "
            "policy in this handbook is synthetic. In the story, the company was founded in 2012, employs about 420 "
            "people and helps retailers and logistics firms forecast demand. It has offices in Berlin, Lyon, "
            "Manchester, Austin and Osaka, with its headquarters in Berlin. The company is organised into four "
            "departments: Consulting, Engineering, Sales and Operations, which includes the People team, Finance and "
            "IT. This handbook is maintained by the People team, the Service Desk and the Responsible AI Office, and "
            "each document names the team responsible for it."
        ),
        "questions": [
            ("How many people does the company employ?", "about 420 people"),
            ("In what year was Northwind founded?", "2012"),
            ("Which city is the head office in?", "headquarters in Berlin"),
        ],
    },
    {
        "doc_id": "gen-office-hours", "title": "Office locations and opening hours", "visibility": "all",
        "text": (
            "Northwind Analytics has five offices. Berlin, the headquarters, is open from 07:00 to 20:00 on weekdays; "
            "Lyon and Manchester are open from 08:00 to 19:00; Austin is open from 07:30 to 18:30 local time; and "
            "Osaka is open from 08:30 to 18:00. Outside these hours, badge access is limited to employees with an "
            "approved out-of-hours request. Desks are booked in the DeskFinder app up to two weeks ahead. Visitors "
            "must be registered by their host before arrival and accompanied at all times. Lost badges are replaced "
            "by reception for a fee of EUR 15."
        ),
        "questions": [
            ("When is the Austin building open?", "07:30 to 18:30"),
            ("Which app do I use to reserve a desk?", "DeskFinder"),
            ("What does it cost to replace a lost badge?", "EUR 15"),
        ],
    },
    {
        "doc_id": "gen-code-of-conduct", "title": "Code of conduct", "visibility": "all",
        "text": (
            "Everyone at Northwind Analytics is expected to treat colleagues, clients and partners with respect. "
            "Harassment, bullying and discrimination are not tolerated in any form, including on chat and social "
            "media. Gifts from clients or suppliers worth more than EUR 75 must be declared in the gifts register "
            "and may have to be returned. Conflicts of interest, such as a family member working for a supplier, "
            "must be disclosed to your manager. Confidential client information may only be used for the project it "
            "was shared for. Breaches of this code can lead to disciplinary action. All employees confirm every year "
            "in the Academy platform that they have read the code."
        ),
        "questions": [
            ("A supplier sent me a present. Above what value must I declare it?", "more than EUR 75"),
            ("Where are gifts from clients recorded?", "gifts register"),
        ],
    },
    {
        "doc_id": "gen-speak-up", "title": "Speaking up and whistleblowing", "visibility": "all",
        "text": (
            "If you see something that seems illegal, unsafe or unethical, speak up. You can raise a concern with "
            "your manager, the People team or the Legal team, or use the independent SpeakUp line, which is run by an "
            "external provider and accepts anonymous reports by phone or web form. Reports are acknowledged within "
            "seven days, and the person who raised the concern receives feedback on the outcome within three "
            "months. Retaliation against anyone who raises a concern in good faith is itself a disciplinary offence. "
            "The Audit Committee receives a summary of all reports twice a year, without names."
        ),
        "questions": [
            ("Is there a way to report wrongdoing without giving my name?", "anonymous reports"),
            ("How quickly is a whistleblowing report acknowledged?", "within seven days"),
            ("What is the independent reporting line called?", "SpeakUp"),
        ],
    },
    {
        "doc_id": "gen-office-emergencies", "title": "Emergencies and first aid in the office", "visibility": "all",
        "text": (
            "When the fire alarm sounds, leave the building by the nearest exit, do not use the lifts, and go to the "
            "assembly point shown on the floor plan next to each lift. Fire wardens wear yellow vests and account for "
            "everyone on their floor. First aiders are listed on the noticeboard in each kitchen, and every office "
            "has a defibrillator at reception. In a medical emergency, call the local emergency number first and then "
            "inform reception. Fire drills take place twice a year. Employees with a condition that may affect "
            "evacuation can ask the office manager for a personal evacuation plan."
        ),
        "questions": [
            ("How can I recognise a fire warden?", "yellow vests"),
            ("Where is the defibrillator kept?", "at reception"),
        ],
    },
    {
        "doc_id": "gen-who-to-contact", "title": "Who to contact", "visibility": "all",
        "text": (
            "Questions about pay, leave, benefits and contracts go to the People team through the People Portal or "
            "people@northwind.example. The Service Desk handles laptops, accounts, software and printers; call "
            "extension 4357 or open a ticket in the Service Desk portal, which is staffed from 08:00 to 18:00 CET. "
            "Security incidents go to Security Operations on extension 7777 at any time. Questions about AI systems, "
            "model cards and reviews go to the Responsible AI Office at rai@northwind.example. Expense questions go "
            "to Finance at finance@northwind.example. For urgent IT issues outside office hours, the Service Desk "
            "on-call engineer answers the same extension."
        ),
        "questions": [
            ("Which email address reaches the People team?", "people@northwind.example"),
            ("When is the Service Desk staffed?", "08:00 to 18:00 CET"),
            ("Who answers questions about expense claims?", "finance@northwind.example"),
        ],
    },
]

SINGLETON_GROUPS: dict[str, list[Record]] = {
    "hr": HR_DOCUMENTS,
    "it": IT_DOCUMENTS,
    "responsible_ai": RESPONSIBLE_AI_DOCUMENTS,
    "general": GENERAL_DOCUMENTS,
}

# Exhaustive questions: the gold ids are every document matching `where` (field equality) and, if given,
# whose text mentions the `mentions` phrase as a whole word. Computed from the data, never typed by hand.
EXHAUSTIVE_QUESTIONS: list[Record] = [
    {"question": "Which documents cover responsible AI?", "category": "responsible_ai",
     "where": {"category": "responsible_ai"}},
    {"question": "List all vacation policies.", "category": "hr", "where": {"cluster": "vacation-policy"}},
    {"question": "Which IT documents mention MFA?", "category": "it", "where": {"category": "it"}, "mentions": "MFA"},
    {"question": "Which documents describe parental leave rules?", "category": "hr",
     "where": {"cluster": "parental-leave"}},
    {"question": "List every version of the laptop policy.", "category": "it", "where": {"cluster": "laptop-policy"}},
    {"question": "Which handbook documents are restricted to the HR team?", "category": "hr",
     "where": {"visibility": "hr"}},
    {"question": "Which documents can only IT staff see?", "category": "it", "where": {"visibility": "it"}},
    {"question": "Which documents involve the AI Review Board?", "category": "responsible_ai",
     "where": {}, "mentions": "AI Review Board"},
    {"question": "Which guides explain how to set up the VPN?", "category": "it", "where": {"cluster": "vpn-setup"}},
    {"question": "Which documents contain on-call rules for a team?", "category": "it",
     "where": {"cluster": "on-call"}},
    {"question": "Which HR documents mention the People Portal?", "category": "hr", "where": {"category": "hr"},
     "mentions": "People Portal"},
    {"question": "Which documents set limits for business expenses?", "category": "hr",
     "where": {"cluster": "expense-limits"}},
]


# --------------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------------


def make_document(doc_id: str, title: str, category: str, visibility: str, cluster: str, variant: str,
                  text: str) -> Record:
    """Return one handbook record in the published field order."""
    return {"doc_id": doc_id, "title": title, "category": category, "visibility": visibility, "cluster": cluster,
            "variant": variant, "synthetic": True, "text": text}


def make_question(question: str, answer: str, gold_doc_ids: list[str], category: str, kind: str,
                  asker_visibility: str) -> Record:
    """Return one question record (qid and split are filled in later)."""
    return {"qid": "", "question": question, "answer": answer, "gold_doc_ids": gold_doc_ids, "category": category,
            "type": kind, "asker_visibility": asker_visibility, "split": "", "synthetic": True}


def build_cluster_documents() -> tuple[list[Record], list[Record]]:
    """Fill every cluster template for each variant; return (documents, single questions)."""
    documents, questions = [], []
    for spec in CLUSTERS:
        for variant_index, facts in enumerate(spec["variants"]):
            doc_id = spec["doc_id"].format(**facts)
            documents.append(make_document(
                doc_id=doc_id, title=spec["title"].format(**facts), category=spec["category"],
                visibility=spec["visibility"], cluster=spec["cluster"], variant=facts["variant"],
                text=spec["text"].format(**facts)))
            for slot, (phrasings, fact_field) in enumerate(spec["questions"]):
                template = phrasings[(variant_index + slot) % len(phrasings)]  # vary wording across variants
                questions.append(make_question(template.format(**facts), facts[fact_field], [doc_id],
                                               spec["category"], "single", spec["visibility"]))
    return documents, questions


def build_singleton_documents() -> tuple[list[Record], list[Record]]:
    """Turn every hand-written singleton into a document (its own cluster) and its questions."""
    documents, questions = [], []
    for category, specs in SINGLETON_GROUPS.items():
        for spec in specs:
            documents.append(make_document(
                doc_id=spec["doc_id"], title=spec["title"], category=category, visibility=spec["visibility"],
                cluster=spec["doc_id"], variant="", text=spec["text"]))
            for question, answer in spec["questions"]:
                questions.append(make_question(question, answer, [spec["doc_id"]], category, "single",
                                               spec["visibility"]))
    return documents, questions


def mentions(text: str, phrase: str) -> bool:
    """True if `phrase` occurs in `text` as whole words (case-sensitive, so 'MFA' is not 'mfa' in a URL)."""
    return re.search(rf"\b{re.escape(phrase)}\b", text) is not None


def asker_visibility_for(documents: list[Record]) -> str:
    """Return the one role that can see all `documents` ("all" unless some are restricted)."""
    restricted = {document["visibility"] for document in documents} - {"all"}
    if len(restricted) > 1:
        raise ValueError(f"No single role can see documents restricted to {sorted(restricted)}.")
    return restricted.pop() if restricted else "all"


def build_exhaustive_questions(documents: list[Record]) -> list[Record]:
    """Compute the gold ids of each exhaustive question from the documents themselves."""
    questions = []
    for spec in EXHAUSTIVE_QUESTIONS:
        matches = [document for document in documents
                   if all(document[field] == value for field, value in spec["where"].items())
                   and ("mentions" not in spec or mentions(document["text"], spec["mentions"]))]
        gold_doc_ids = sorted(document["doc_id"] for document in matches)
        questions.append(make_question(spec["question"], "", gold_doc_ids, spec["category"], "exhaustive",
                                       asker_visibility_for(matches)))
    return questions


def slice_into_splits(items: list[Record]) -> None:
    """Label an ordered list train / validation / test by SPLIT_FRACTIONS (at least one test item)."""
    n_test = max(1, round(len(items) * SPLIT_FRACTIONS["test"]))
    n_validation = round(len(items) * SPLIT_FRACTIONS["validation"])
    n_train = len(items) - n_test - n_validation
    for index, item in enumerate(items):
        item["split"] = "train" if index < n_train else "validation" if index < n_train + n_validation else "test"


def round_robin(groups: list[list[Record]]) -> list[Record]:
    """Interleave groups: first item of each group, then the second of each, and so on."""
    longest = max(len(group) for group in groups)
    return [group[i] for i in range(longest) for group in groups if i < len(group)]


def assign_splits(questions: list[Record], documents: list[Record], rng: random.Random) -> None:
    """Cluster-aware split: interleaved per near-identical cluster, per category for singletons; exhaustive = test."""
    doc_by_id = {document["doc_id"]: document for document in documents}
    cluster_sizes = Counter(document["cluster"] for document in documents)
    by_cluster: dict[str, dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
    by_category: dict[str, list[Record]] = defaultdict(list)
    for question in questions:
        if question["type"] == "exhaustive":
            question["split"] = "test"
            continue
        document = doc_by_id[question["gold_doc_ids"][0]]
        if cluster_sizes[document["cluster"]] > 1:
            by_cluster[document["cluster"]][document["doc_id"]].append(question)
        else:
            by_category[document["category"]].append(question)
    for cluster in sorted(by_cluster):
        variant_groups = [by_cluster[cluster][doc_id] for doc_id in sorted(by_cluster[cluster])]
        rng.shuffle(variant_groups)
        for group in variant_groups:
            rng.shuffle(group)
        slice_into_splits(round_robin(variant_groups))
    for category in sorted(by_category):
        pool = by_category[category]
        rng.shuffle(pool)
        slice_into_splits(pool)


def number_questions(questions: list[Record]) -> None:
    """Give questions stable ids q-0001, q-0002... in build order (clusters, singletons, exhaustive)."""
    for number, question in enumerate(questions, start=1):
        question["qid"] = f"q-{number:04d}"


# --------------------------------------------------------------------------------------------------
# Validation and reporting
# --------------------------------------------------------------------------------------------------


def word_set(text: str) -> set[str]:
    """Lower-cased words of a text, for overlap statistics."""
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def jaccard(a: str, b: str) -> float:
    """Word-set Jaccard similarity of two texts."""
    words_a, words_b = word_set(a), word_set(b)
    return len(words_a & words_b) / len(words_a | words_b)


def validate(documents: list[Record], questions: list[Record]) -> None:
    """Check every rule the course relies on; raise AssertionError naming the first broken one."""
    doc_by_id = {document["doc_id"]: document for document in documents}
    assert len(doc_by_id) == len(documents), "duplicate doc_id"
    assert 70 <= len(documents) <= 110, f"{len(documents)} documents, expected 70-110"
    for document in documents:
        assert re.fullmatch(r"[a-z0-9-]+", document["doc_id"]), document["doc_id"]
        assert document["category"] in CATEGORIES and document["visibility"] in VISIBILITIES, document["doc_id"]
        n_words = len(document["text"].split())
        assert MIN_WORDS <= n_words <= MAX_WORDS, f"{document['doc_id']} has {n_words} words"
        if document["variant"]:
            assert document["variant"] in document["title"], document["doc_id"]
            assert 1 <= document["text"].count(document["variant"]) <= 2, f"variant count in {document['doc_id']}"
    clusters = Counter(document["cluster"] for document in documents)
    near_identical = {cluster: size for cluster, size in clusters.items() if size > 1}
    assert len(near_identical) >= 8 and all(3 <= size <= 5 for size in near_identical.values()), near_identical
    visibility = Counter(document["visibility"] for document in documents)
    assert visibility["hr"] >= 10 and visibility["it"] >= 8, visibility
    assert sum(document["category"] == "responsible_ai" for document in documents) >= 12

    qids = [question["qid"] for question in questions]
    assert len(set(qids)) == len(qids), "duplicate qid"
    assert 200 <= len(questions) <= 300, f"{len(questions)} questions, expected 200-300"
    titles = {document["title"].lower() for document in documents if len(document["title"].split()) > 2}
    for question in questions:
        gold = [doc_by_id[doc_id] for doc_id in question["gold_doc_ids"]]  # KeyError if a gold id is missing
        assert gold and question["asker_visibility"] == asker_visibility_for(gold), question["qid"]
        if question["type"] == "exhaustive":
            assert question["answer"] == "" and question["split"] == "test" and len(gold) >= 3, question["qid"]
            continue
        document = gold[0]
        assert len(gold) == 1 and question["answer"], question["qid"]
        assert question["answer"].lower() in document["text"].lower(), f"{question['qid']}: answer not in text"
        assert not any(title in question["question"].lower() for title in titles), f"{question['qid']} copies a title"
        siblings = [other for other in documents
                    if other["cluster"] == document["cluster"] and other["doc_id"] != document["doc_id"]]
        if siblings:
            assert document["variant"].lower() in question["question"].lower(), f"{question['qid']} lacks variant"
            for sibling in siblings:
                assert question["answer"].lower() not in sibling["text"].lower(), \
                    f"{question['qid']}: answer {question['answer']!r} also in sibling {sibling['doc_id']}"
    assert all(question["split"] in SPLIT_FRACTIONS for question in questions)
    for cluster in near_identical:
        members = {document["doc_id"] for document in documents if document["cluster"] == cluster}
        splits_by_doc = defaultdict(set)
        for question in questions:
            if question["type"] == "single" and question["gold_doc_ids"][0] in members:
                splits_by_doc[question["gold_doc_ids"][0]].add(question["split"])
        assert all("train" in splits_by_doc[doc_id] for doc_id in members), f"{cluster}: a variant lacks train"
        assert any("test" in splits for splits in splits_by_doc.values()), f"{cluster} lacks test questions"


def similarity_report(documents: list[Record]) -> dict[str, float]:
    """Mean word overlap inside near-identical clusters versus the highest overlap across clusters."""
    within, across = [], []
    for a, b in combinations(documents, 2):
        (within if a["cluster"] == b["cluster"] else across).append(jaccard(a["text"], b["text"]))
    return {"within_cluster_mean": sum(within) / len(within), "within_cluster_min": min(within),
            "within_cluster_max": max(within),
            "across_clusters_mean": sum(across) / len(across), "across_clusters_max": max(across)}


def summarize(documents: list[Record], questions: list[Record]) -> Record:
    """Counts used in the printed report and the README section."""
    singles = [question for question in questions if question["type"] == "single"]
    clusters = Counter(document["cluster"] for document in documents)
    return {
        "documents": len(documents),
        "questions": len(questions),
        "single": len(singles),
        "exhaustive": len(questions) - len(singles),
        "doc_categories": dict(sorted(Counter(document["category"] for document in documents).items())),
        "doc_visibility": dict(sorted(Counter(document["visibility"] for document in documents).items())),
        "question_splits": {split: sum(q["split"] == split for q in questions) for split in SPLIT_FRACTIONS},
        "single_splits": {split: sum(q["split"] == split for q in singles) for split in SPLIT_FRACTIONS},
        "question_categories": dict(sorted(Counter(question["category"] for question in questions).items())),
        "question_asker_visibility": dict(sorted(Counter(q["asker_visibility"] for q in questions).items())),
        "near_identical_clusters": {cluster: size for cluster, size in sorted(clusters.items()) if size > 1},
        "singleton_clusters": sum(size == 1 for size in clusters.values()),
        "words_per_document": (min(len(d["text"].split()) for d in documents),
                               round(sum(len(d["text"].split()) for d in documents) / len(documents)),
                               max(len(d["text"].split()) for d in documents)),
    }


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


def format_counts(counts: dict[str, int]) -> str:
    """Render {"hr": 35, "it": 33} as "35 hr, 33 it"."""
    return ", ".join(f"{count} {name}" for name, count in counts.items())


def readme_section(documents: list[Record], summary: Record, sizes: dict[str, int]) -> str:
    """Render the README section describing both files, with every number computed from the data."""
    cluster_rows = []
    for cluster, size in summary["near_identical_clusters"].items():
        members = sorted((d for d in documents if d["cluster"] == cluster), key=lambda d: d["doc_id"])
        variants = ", ".join(d["variant"] for d in members)
        first = members[0]
        cluster_rows.append(f"| `{cluster}` | {first['category']} | {first['visibility']} | {size} | {variants} |")
    n_words = summary["words_per_document"]
    overlap = similarity_report(documents)
    return "\n".join([
        README_HEADING,
        "",
        "**SYNTHETIC.** Northwind Analytics is a fictional company. Every document and question in these two",
        "files was written for this course by the course authors; no real company, person, policy or customer",
        "data is involved. The policies are plausible but invented: do not use them as HR, IT or legal advice.",
        "The handbook is used for RAG, embedding fine-tuning, access control and the HR/IT assistant (04-07).",
        "",
        "| file | records | bytes |",
        "|---|---:|---:|",
        f"| handbook.jsonl | {summary['documents']:,} documents | {sizes['handbook.jsonl']:,} |",
        f"| handbook_questions.jsonl | {summary['questions']:,} questions | {sizes['handbook_questions.jsonl']:,} |",
        "",
        f"- **Documents:** {format_counts(summary['doc_categories'])}; visibility "
        f"{format_counts(summary['doc_visibility'])}; {n_words[0]}-{n_words[2]} words each (mean {n_words[1]}).",
        f"- **Questions:** {summary['single']} `single` (one gold document, a short answer) and "
        f"{summary['exhaustive']} `exhaustive` (\"Which documents cover responsible AI?\": every matching "
        f"document is gold, more than a top-5 retriever returns); "
        f"by split {format_counts(summary['question_splits'])}; "
        f"by asker visibility {format_counts(summary['question_asker_visibility'])}.",
        "- **License:** same as the repository: CC0 1.0 Universal (public domain dedication) for the data.",
        "- **How it was made:** the course authors wrote the document texts, the templates of the near-identical",
        "  clusters and the questions by hand, as small literal structures in the build script. The script fills",
        "  the templates, computes the exhaustive questions' gold ids from the data (e.g. every document whose",
        "  `category` is `responsible_ai`), splits the questions with `random.Random(7)`, validates everything",
        "  (unique ids, every gold id exists, every answer occurs in its gold text and in no sibling variant,",
        "  cluster, visibility and split counts) and writes records sorted, atomically. Standard library only.",
        "- **Build script:** [`build/build_handbook.py`](build/build_handbook.py)",
        "- **Rebuilt with:** `.venv/bin/python datasets/build/build_handbook.py` (byte-identical output; it also",
        "  rewrites this section)",
        "- **Visibility rule:** a user with role `all`, `hr` or `it` sees the documents whose `visibility` is",
        "  `\"all\"` or equals their role (`course_utils.data.is_visible_to`), so an `hr` user never sees `it`",
        "  runbooks and vice versa. `hr` documents are confidential HR procedures (salary bands, investigations,",
        "  payroll corrections...); `it` documents are restricted runbooks (break-glass accounts, credential",
        "  rotation, patching...).",
        "- **Near-identical clusters:** variants share most of their wording (word-set Jaccard "
        f"{overlap['within_cluster_min']:.2f}-"
        f"{overlap['within_cluster_max']:.2f}, mean {overlap['within_cluster_mean']:.2f}, against at most "
        f"{overlap['across_clusters_max']:.2f} across clusters) and",
        "  differ in a few facts and in the variant name, which appears in the title and once or twice in the",
        "  text. Questions about a variant name it, and their answer occurs in no sibling variant, so the variant",
        "  word is what disambiguates. The other "
        f"{summary['singleton_clusters']} documents are singletons (`cluster` = `doc_id`).",
        "",
        "| cluster | category | visibility | documents | variants |",
        "|---|---|---|---:|---|",
        *cluster_rows,
        "",
        "- **Splits (cluster-aware):** within each near-identical cluster the single questions are interleaved",
        "  across variants and cut about 60/20/20, so every variant has train questions and every cluster has",
        "  test questions: a held-out query set for embedding fine-tuning (the documents are shared by all",
        "  splits). Single questions about singleton documents are cut 60/20/20 within each category. All",
        f"  exhaustive questions are `test`. Single questions: {format_counts(summary['single_splits'])}.",
        "- **Schema of `handbook.jsonl`** (sorted by `doc_id`):",
        "",
        "| field | type | example |",
        "|---|---|---|",
        "| `doc_id` | str, unique, stable, lowercase | `\"hr-vacation-de\"` |",
        "| `title` | str | `\"Vacation policy (Germany)\"` |",
        "| `category` | `\"hr\"`, `\"it\"`, `\"responsible_ai\"` or `\"general\"` "
        "| `general`: company overview, offices, code of conduct... |",
        "| `visibility` | `\"all\"`, `\"hr\"` or `\"it\"` | `\"hr\"` for salary bands |",
        "| `cluster` | str | `\"vacation-policy\"`; a singleton's cluster is its `doc_id` |",
        "| `variant` | str | `\"Germany\"`, `\"v2\"`, `\"macOS\"`; `\"\"` for singletons |",
        "| `synthetic` | bool | always `true` |",
        f"| `text` | str | {MIN_WORDS}-{MAX_WORDS} words of policy prose |",
        "",
        "- **Schema of `handbook_questions.jsonl`** (sorted by `qid`):",
        "",
        "| field | type | example |",
        "|---|---|---|",
        "| `qid` | str, unique | `\"q-0001\"` |",
        "| `question` | str | `\"How many paid vacation days does a full-time employee in Germany get each year?\"` |",
        "| `answer` | str | `\"30 working days\"`: occurs verbatim (case-insensitive) in the gold text; "
        "`\"\"` for exhaustive |",
        "| `gold_doc_ids` | list[str] | `[\"hr-vacation-de\"]`; every matching document for exhaustive questions |",
        "| `category` | as for documents | `\"hr\"` |",
        "| `type` | `\"single\"` or `\"exhaustive\"` | |",
        "| `asker_visibility` | `\"all\"`, `\"hr\"` or `\"it\"` | the role needed to see every gold document |",
        "| `split` | `\"train\"`, `\"validation\"` or `\"test\"` | |",
        "| `synthetic` | bool | always `true` |",
        "",
    ])


def write_readme_section(section: str) -> Path:
    """Replace (or append) the handbook section in datasets/README.md; without a README, write a side file."""
    if not README_PATH.exists():
        write_text_atomic(README_FALLBACK_PATH, section)
        return README_FALLBACK_PATH
    lines = README_PATH.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == README_HEADING), None)
    if start is None:
        before, after = lines, []
        if before and before[-1].strip():
            before = [*before, "\n"]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        before, after = lines[:start], lines[end:]
    write_text_atomic(README_PATH, "".join(before) + section + ("\n" if after else "") + "".join(after))
    return README_PATH


def main() -> None:
    """Build, validate and write the handbook and its questions, then print a short report."""
    rng = random.Random(SEED)
    cluster_documents, cluster_questions = build_cluster_documents()
    singleton_documents, singleton_questions = build_singleton_documents()
    documents = sorted(cluster_documents + singleton_documents, key=lambda document: document["doc_id"])
    questions = cluster_questions + singleton_questions + build_exhaustive_questions(documents)
    number_questions(questions)
    assign_splits(questions, documents, rng)
    validate(documents, questions)

    write_text_atomic(HANDBOOK_PATH, to_jsonl(documents))
    write_text_atomic(QUESTIONS_PATH, to_jsonl(questions))
    sizes = {path.name: path.stat().st_size for path in (HANDBOOK_PATH, QUESTIONS_PATH)}
    summary = summarize(documents, questions)
    readme_path = write_readme_section(readme_section(documents, summary, sizes))

    print(json.dumps({**summary, "bytes": sizes, "overlap": similarity_report(documents)}, indent=1, default=str))
    print(f"README section written to {readme_path.relative_to(DATASETS_DIR.parent)}")
    sample_rng = random.Random(SEED)
    for document in sample_rng.sample(documents, 3):
        print("\nDOC", json.dumps(document, ensure_ascii=False))
    for question in sample_rng.sample(questions, 5):
        print("QUESTION", json.dumps(question, ensure_ascii=False))


if __name__ == "__main__":
    main()
