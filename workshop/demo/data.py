"""Demo data for the Workshop on Innovative Public Procurement.

Taken from APO Project Notification No. 92 (issued 4 April 2023),
project code 23-IP-02-GE-WSP-A. All people are fictional; every email
address uses a subdomain of the reserved ``example.org`` domain.
"""

from datetime import date

WORKSHOP = {
    "title": "Workshop on Innovative Public Procurement",
    "code": "23-IP-02-GE-WSP-A",
    "starts_on": date(2023, 7, 18),
    "ends_on": date(2023, 7, 20),
    "timezone": "Asia/Colombo",
    "modality": "online",
    "host_country": "LK",
    "organization": "National Productivity Secretariat, Sri Lanka and APO Secretariat",
    "objectives": [
        "Discuss innovative procurement in the public sector including the "
        "impact on service delivery and citizens' satisfaction.",
        "Examine new approaches to successful, innovative public procurement.",
        "Explore procurement processes to promote innovation and productivity "
        "in the public sector.",
    ],
    "topics": [
        "New approaches to public procurement",
        "Public policy instruments for innovative procurement",
        "Opportunities and challenges in innovative public procurement",
        "Reforming public procurement systems for innovation",
        "Cases of successful innovative public procurement",
    ],
}

# Who earns a certificate of participation in the archive (its attendance is in workshop/attendance/demo.py).
CERTIFICATE_RULE = ("plenary share", "75")

ORGANIZER = {
    "name": "Chandrika Abeywardena",
    "email": "chandrika.abeywardena@nps.lk.example.org",
    "organization": "National Productivity Secretariat, Sri Lanka",
    "country": "LK",
    "timezone": "Asia/Colombo",
}

MODERATOR = {
    "name": "Kenji Watanabe",
    "email": "kenji.watanabe@apo.jp.example.org",
    "organization": "APO Secretariat",
    "country": "JP",
    "timezone": "Asia/Tokyo",
}

PARTICIPANTS = [
    # --- Overseas participants (38) ---
    # Bangladesh
    {"name": "Farhana Rahman", "email": "farhana.rahman@bppa.bd.example.org",
     "country": "BD", "organization": "Bangladesh Public Procurement Authority",
     "origin": "overseas", "timezone": "Asia/Dhaka"},
    {"name": "Md. Tanvir Hossain", "email": "tanvir.hossain@npo.bd.example.org",
     "country": "BD", "organization": "National Productivity Organisation, Bangladesh",
     "origin": "overseas", "timezone": "Asia/Dhaka"},
    # Cambodia
    {"name": "Sokha Chan", "email": "sokha.chan@gdpp.kh.example.org",
     "country": "KH", "organization": "General Department of Public Procurement, Ministry of Economy and Finance, Cambodia",
     "origin": "overseas", "timezone": "Asia/Phnom_Penh"},
    {"name": "Sreymom Keo", "email": "sreymom.keo@npc.kh.example.org",
     "country": "KH", "organization": "National Productivity Centre of Cambodia",
     "origin": "overseas", "timezone": "Asia/Phnom_Penh"},
    # Republic of China
    {"name": "Chen Yi-ting", "email": "yiting.chen@pcc.tw.example.org",
     "country": "TW", "organization": "Public Construction Commission, Republic of China",
     "origin": "overseas", "timezone": "Asia/Taipei"},
    {"name": "Lin Chih-hao", "email": "chihhao.lin@cpc.tw.example.org",
     "country": "TW", "organization": "China Productivity Center",
     "origin": "overseas", "timezone": "Asia/Taipei"},
    # Fiji (one)
    {"name": "Litia Naivalu", "email": "litia.naivalu@fpo.fj.example.org",
     "country": "FJ", "organization": "Fiji Procurement Office, Ministry of Finance, Fiji",
     "origin": "overseas", "timezone": "Pacific/Fiji"},
    # Hong Kong
    {"name": "Wong Ka-yan", "email": "kayan.wong@gld.hk.example.org",
     "country": "HK", "organization": "Government Logistics Department, Hong Kong",
     "origin": "overseas", "timezone": "Asia/Hong_Kong"},
    {"name": "Chan Tsz-kin", "email": "tszkin.chan@hkpc.hk.example.org",
     "country": "HK", "organization": "Hong Kong Productivity Council",
     "origin": "overseas", "timezone": "Asia/Hong_Kong"},
    # India
    {"name": "Priya Raghavan", "email": "priya.raghavan@gem.in.example.org",
     "country": "IN", "organization": "Government e-Marketplace, Ministry of Commerce and Industry, India",
     "origin": "overseas", "timezone": "Asia/Kolkata"},
    {"name": "Arjun Mehta", "email": "arjun.mehta@npc.in.example.org",
     "country": "IN", "organization": "National Productivity Council, India",
     "origin": "overseas", "timezone": "Asia/Kolkata"},
    # Indonesia
    {"name": "Dewi Lestari", "email": "dewi.lestari@lkpp.id.example.org",
     "country": "ID", "organization": "National Public Procurement Agency (LKPP), Indonesia",
     "origin": "overseas", "timezone": "Asia/Jakarta"},
    {"name": "Agus Santoso", "email": "agus.santoso@kemnaker.id.example.org",
     "country": "ID", "organization": "Directorate of Productivity, Ministry of Manpower, Indonesia",
     "origin": "overseas", "timezone": "Asia/Jakarta"},
    # Iran
    {"name": "Zahra Ahmadi", "email": "zahra.ahmadi@nipo.ir.example.org",
     "country": "IR", "organization": "National Iranian Productivity Organization",
     "origin": "overseas", "timezone": "Asia/Tehran"},
    {"name": "Mohammad Reza Hosseini", "email": "mohammadreza.hosseini@mefa.ir.example.org",
     "country": "IR", "organization": "Ministry of Economic Affairs and Finance, Iran",
     "origin": "overseas", "timezone": "Asia/Tehran"},
    # Japan
    {"name": "Haruka Satō", "email": "haruka.sato@jpc.jp.example.org",
     "country": "JP", "organization": "Japan Productivity Center",
     "origin": "overseas", "timezone": "Asia/Tokyo"},
    {"name": "Kenta Kobayashi", "email": "kenta.kobayashi@mof.jp.example.org",
     "country": "JP", "organization": "Ministry of Finance, Japan",
     "origin": "overseas", "timezone": "Asia/Tokyo"},
    # Republic of Korea
    {"name": "김민준", "email": "minjun.kim@pps.kr.example.org",
     "country": "KR", "organization": "Public Procurement Service, Korea",
     "origin": "overseas", "timezone": "Asia/Seoul"},
    {"name": "Lee Soo-jin", "email": "soojin.lee@kpc.kr.example.org",
     "country": "KR", "organization": "Korea Productivity Center",
     "origin": "overseas", "timezone": "Asia/Seoul"},
    # Lao PDR
    {"name": "Phonesavanh Sisouphanh", "email": "phonesavanh.sisouphanh@mof.la.example.org",
     "country": "LA", "organization": "Public Procurement Management Department, Ministry of Finance, Lao PDR",
     "origin": "overseas", "timezone": "Asia/Vientiane"},
    {"name": "Khamla Vongsa", "email": "khamla.vongsa@moic.la.example.org",
     "country": "LA", "organization": "Department of SME Promotion, Ministry of Industry and Commerce, Lao PDR",
     "origin": "overseas", "timezone": "Asia/Vientiane"},
    # Malaysia
    {"name": "Nurul Aisyah binti Ahmad", "email": "nurulaisyah.ahmad@treasury.my.example.org",
     "country": "MY", "organization": "Government Procurement Division, Ministry of Finance, Malaysia",
     "origin": "overseas", "timezone": "Asia/Kuala_Lumpur"},
    {"name": "Tan Wei Ming", "email": "weiming.tan@mpc.my.example.org",
     "country": "MY", "organization": "Malaysia Productivity Corporation",
     "origin": "overseas", "timezone": "Asia/Kuala_Lumpur"},
    # Mongolia (one)
    {"name": "Oyunchimeg Batbold", "email": "oyunchimeg.batbold@gapp.mn.example.org",
     "country": "MN", "organization": "General Agency for Public Procurement, Mongolia",
     "origin": "overseas", "timezone": "Asia/Ulaanbaatar"},
    # Nepal
    {"name": "Sushila Shrestha", "email": "sushila.shrestha@ppmo.np.example.org",
     "country": "NP", "organization": "Public Procurement Monitoring Office, Nepal",
     "origin": "overseas", "timezone": "Asia/Kathmandu"},
    {"name": "Bikash Adhikari", "email": "bikash.adhikari@nped.np.example.org",
     "country": "NP", "organization": "National Productivity and Economic Development Centre, Nepal",
     "origin": "overseas", "timezone": "Asia/Kathmandu"},
    # Pakistan
    {"name": "Ayesha Siddiqui", "email": "ayesha.siddiqui@ppra.pk.example.org",
     "country": "PK", "organization": "Public Procurement Regulatory Authority, Pakistan",
     "origin": "overseas", "timezone": "Asia/Karachi"},
    {"name": "Imran Qureshi", "email": "imran.qureshi@npo.pk.example.org",
     "country": "PK", "organization": "National Productivity Organization, Pakistan",
     "origin": "overseas", "timezone": "Asia/Karachi"},
    # Philippines
    {"name": "Maria Cristina Reyes", "email": "mariacristina.reyes@gppb.ph.example.org",
     "country": "PH", "organization": "Government Procurement Policy Board – Technical Support Office, Philippines",
     "origin": "overseas", "timezone": "Asia/Manila"},
    {"name": "José Miguel Santos", "email": "josemiguel.santos@dap.ph.example.org",
     "country": "PH", "organization": "Development Academy of the Philippines",
     "origin": "overseas", "timezone": "Asia/Manila"},
    # Singapore
    {"name": "Lim Hui Min", "email": "huimin.lim@mof.sg.example.org",
     "country": "SG", "organization": "Ministry of Finance, Singapore",
     "origin": "overseas", "timezone": "Asia/Singapore"},
    {"name": "Rajesh Kumar Pillai", "email": "rajesh.pillai@enterprisesg.sg.example.org",
     "country": "SG", "organization": "Enterprise Singapore",
     "origin": "overseas", "timezone": "Asia/Singapore"},
    # Thailand
    {"name": "Siriporn Chaiyaporn", "email": "siriporn.chaiyaporn@cgd.th.example.org",
     "country": "TH", "organization": "Comptroller General's Department, Ministry of Finance, Thailand",
     "origin": "overseas", "timezone": "Asia/Bangkok"},
    {"name": "Thanakorn Srisuk", "email": "thanakorn.srisuk@ftpi.th.example.org",
     "country": "TH", "organization": "Thailand Productivity Institute",
     "origin": "overseas", "timezone": "Asia/Bangkok"},
    # Türkiye
    {"name": "Şükrü Çelik", "email": "sukru.celik@kik.tr.example.org",
     "country": "TR", "organization": "Public Procurement Authority (Kamu İhale Kurumu), Türkiye",
     "origin": "overseas", "timezone": "Europe/Istanbul"},
    {"name": "Ayşe Yıldız", "email": "ayse.yildiz@sanayi.tr.example.org",
     "country": "TR", "organization": "Directorate General of Productivity, Ministry of Industry and Technology, Türkiye",
     "origin": "overseas", "timezone": "Europe/Istanbul"},
    # Viet Nam
    {"name": "Nguyễn Thị Hương", "email": "huong.nguyen@muasamcong.vn.example.org",
     "country": "VN", "organization": "Public Procurement Agency, Ministry of Planning and Investment, Viet Nam",
     "origin": "overseas", "timezone": "Asia/Ho_Chi_Minh"},
    {"name": "Trần Văn Minh", "email": "minh.tran@vnpi.vn.example.org",
     "country": "VN", "organization": "Vietnam National Productivity Institute",
     "origin": "overseas", "timezone": "Asia/Ho_Chi_Minh"},
    # --- Local participants, Sri Lanka (12) ---
    {"name": "Nimal Perera", "email": "nimal.perera@nps.lk.example.org",
     "country": "LK", "organization": "National Productivity Secretariat, Sri Lanka",
     "origin": "local", "timezone": "Asia/Colombo"},
    {"name": "Chamari Jayasinghe", "email": "chamari.jayasinghe@nps.lk.example.org",
     "country": "LK", "organization": "National Productivity Secretariat, Sri Lanka",
     "origin": "local", "timezone": "Asia/Colombo"},
    {"name": "Kasun Wickramasinghe", "email": "kasun.wickramasinghe@npc.lk.example.org",
     "country": "LK", "organization": "National Procurement Commission, Sri Lanka",
     "origin": "local", "timezone": "Asia/Colombo"},
    {"name": "Dilani Fernando", "email": "dilani.fernando@npc.lk.example.org",
     "country": "LK", "organization": "National Procurement Commission, Sri Lanka",
     "origin": "local", "timezone": "Asia/Colombo"},
    {"name": "Tharindu Bandara", "email": "tharindu.bandara@treasury.lk.example.org",
     "country": "LK", "organization": "Department of Public Finance, Ministry of Finance, Sri Lanka",
     "origin": "local", "timezone": "Asia/Colombo"},
    {"name": "Sanduni Rathnayake", "email": "sanduni.rathnayake@treasury.lk.example.org",
     "country": "LK", "organization": "Department of Public Finance, Ministry of Finance, Sri Lanka",
     "origin": "local", "timezone": "Asia/Colombo"},
    {"name": "Rajeswari Sivakumar", "email": "rajeswari.sivakumar@pubad.lk.example.org",
     "country": "LK", "organization": "Ministry of Public Administration, Sri Lanka",
     "origin": "local", "timezone": "Asia/Colombo"},
    {"name": "Mohamed Rizwan Farook", "email": "rizwan.farook@rda.lk.example.org",
     "country": "LK", "organization": "Road Development Authority, Sri Lanka",
     "origin": "local", "timezone": "Asia/Colombo"},
    {"name": "Pradeep Gunawardena", "email": "pradeep.gunawardena@ceb.lk.example.org",
     "country": "LK", "organization": "Ceylon Electricity Board",
     "origin": "local", "timezone": "Asia/Colombo"},
    {"name": "Ishara Senanayake", "email": "ishara.senanayake@spc.lk.example.org",
     "country": "LK", "organization": "State Pharmaceuticals Corporation of Sri Lanka",
     "origin": "local", "timezone": "Asia/Colombo"},
    {"name": "Suresh Thevarajah", "email": "suresh.thevarajah@icta.lk.example.org",
     "country": "LK", "organization": "Information and Communication Technology Agency of Sri Lanka",
     "origin": "local", "timezone": "Asia/Colombo"},
    {"name": "Anusha Wijesekara", "email": "anusha.wijesekara@audit.lk.example.org",
     "country": "LK", "organization": "National Audit Office, Sri Lanka",
     "origin": "local", "timezone": "Asia/Colombo"},
]

# The three-day programme, times in the host timezone (Asia/Colombo, UTC+5:30).
# Each entry: day (1-3), start, end, kind, title, description, speakers, video room.
AGENDA = [
    (1, "11:30", "12:00", "plenary", "Opening session",
     "Welcome addresses by the National Productivity Secretariat, Sri Lanka and the APO Secretariat; "
     "introduction of participants and of the workshop programme.",
     ["Head, National Productivity Secretariat, Sri Lanka", "Programme Officer, APO Secretariat"], True),
    (1, "12:00", "13:15", "plenary", "New approaches to public procurement",
     "From lowest price to best value: outcome-based specifications, market engagement before tendering, "
     "and the OECD framework for the strategic use of public procurement for innovation.",
     ["Dr. Maria Alvarez, resource person"], True),
    (1, "13:15", "13:30", "break", "Break", "", [], False),
    (1, "13:30", "14:45", "plenary", "Public policy instruments for innovative procurement",
     "Pre-commercial procurement, innovation partnerships, challenge prizes and functional requirements; "
     "how policy instruments set incentives for suppliers and buyers.",
     ["Prof. Daniel Okafor, resource person"], True),
    (1, "14:45", "15:30", "breakout", "Breakout discussions: barriers to innovative procurement",
     "Small groups discuss the barriers their agencies face and report back to the plenary.", [], True),
    (2, "11:30", "12:45", "plenary", "Opportunities and challenges in innovative public procurement",
     "Risk, audit and accountability; skills of procurement officers; SMEs and start-ups as suppliers.",
     ["Dr. Maria Alvarez, resource person"], True),
    (2, "12:45", "13:00", "break", "Break", "", [], False),
    (2, "13:00", "14:15", "country reports", "Country reports (part 1)",
     "Participants present their country's public procurement system and its reforms for innovation.", [], True),
    (2, "14:15", "15:30", "country reports", "Country reports (part 2)",
     "Country presentations continue, followed by questions.", [], True),
    (3, "11:30", "12:45", "plenary", "Reforming public procurement systems for innovation",
     "Legal frameworks, e-procurement and open contracting data as foundations for innovation.",
     ["Prof. Daniel Okafor, resource person"], True),
    (3, "12:45", "13:45", "plenary", "Cases of successful innovative public procurement",
     "Cases from Korea, Singapore and Europe: what was bought, how, and what it changed for citizens.",
     ["Dr. Maria Alvarez, resource person", "Prof. Daniel Okafor, resource person"], True),
    (3, "13:45", "14:00", "break", "Break", "", [], False),
    (3, "14:00", "14:45", "breakout", "Breakout discussions: action plans",
     "Each group drafts an action plan for innovative procurement in its agencies.", [], True),
    (3, "14:45", "15:30", "plenary", "Group reports, evaluation and closing",
     "Rapporteurs report back; summary of the workshop; evaluation; closing remarks.",
     ["Programme Officer, APO Secretariat"], True),
]

# The first breakout session's round, prepared as a draft with a preview: a moderator only has to open it.
BREAKOUT_ROOMS = [
    ("Legal barriers", "What in your procurement law stops buying the new?"),
    ("Risk and audit", "How do auditors treat a failed innovation project?"),
    ("Skills", "What must procurement officers learn first?"),
    ("Market engagement", "Talking to suppliers before the tender, fairly"),
    ("SMEs and start-ups", "Opening public contracts to young firms"),
]

# The live copy: the same programme, placed so that this session is running when `make run` makes it (started
# LIVE_MINUTES_IN minutes before, rounded down to five minutes) and the next one starts within the hour.
LIVE = {
    "code": "23-IP-02-GE-WSP-A-LIVE",
    "title": "Workshop on Innovative Public Procurement (live demo)",
    "running_session": "Public policy instruments for innovative procurement",
    "minutes_in": 20,
}

# Printed at `make run`: one participant from each of these countries, from Colombo to Suva.
SIGN_IN_COUNTRIES = ["LK", "NP", "IR", "KR", "FJ"]

# What is going on in the running session: an open poll with votes, a draft ready to open, a few questions.
LIVE_POLL = {
    "kind": "single choice", "results_visible": "y",
    "question": "Which instrument would your agency try first?",
    "options": "Pre-commercial procurement\nInnovation partnership\nChallenge prize\n"
               "Functional (outcome-based) specifications",
}
# Option positions of the votes cast, in the order of PARTICIPANTS, by people whose links are not printed.
LIVE_VOTES = [3, 0, 3, 1, 2, 3, 0, 3, 1, 3, 2, 0]
LIVE_DRAFT_POLL = {
    "kind": "rating", "scale_max": "5", "results_visible": "y",
    "question": "How ready is your agency to buy innovation? (1: not at all, 5: fully)",
}
# (participant's email, question); the first is pinned, the last arrives after pre-moderation was switched on.
LIVE_QUESTIONS = [
    ("dewi.lestari@lkpp.id.example.org",
     "How do auditors treat a pre-commercial procurement that ends without a product?"),
    ("ayesha.siddiqui@ppra.pk.example.org",
     "Can a challenge prize be combined with a follow-up contract without a new tender?"),
    ("sukru.celik@kik.tr.example.org",
     "Which KPIs did agencies use to show that functional specifications paid off?"),
    ("litia.naivalu@fpo.fj.example.org",
     "Are there model clauses for innovation partnerships that small island states could adapt?"),
]
LIVE_UPVOTES = {0: 7, 1: 4, 2: 2}  # question index -> how many participants upvote it

# The live copy's evaluation, open, answered by people whose links are not printed (the printed ones answer it
# themselves), the host country's first: response n gives each rating question q the rating
# LIVE_EVALUATION_RATINGS[(n + q) % 14], and the first responses leave these comments (comment question 0: most
# useful, 1: to improve, 2: other).
LIVE_EVALUATION_RESPONSES = 24
LIVE_EVALUATION_RATINGS = [5, 4, 4, 3, 5, 4, 2, 5, 4, 3, 4, 5, 3, 4]
LIVE_EVALUATION_COMMENTS = [
    (0, "The case studies of pre-commercial procurement, with real figures."),
    (1, "More time for questions after the country reports, please."),
    (0, "Meeting peers who face the same audit questions."),
    (1, "The breakout rooms were too short to finish the exercise."),
    (2, "Please share the slides of the site visit."),
    (0, "The model clauses for innovation partnerships."),
]
