"""Demo content: the Primary Care Networks workshop.

Plain Python data, loaded by default on a fresh install. Facts (names, titles,
dates, figures, URLs, DOIs) come from the workshop brief; all prose is original.
"""

import datetime

WORKSHOP = {
    "join_code": "PCN25",
    "title": (
        "Policy into practice: exploring the implementation and potential of "
        "Primary Care Networks in the NHS in England"
    ),
    "subtitle": "An interactive workshop on what early evidence tells us about Primary Care Networks",
    "date": datetime.date(2026, 12, 3),
    "start_time": datetime.time(14, 0),
    "venue": "Main hall (demo venue)",
    "description": (
        "Primary Care Networks (PCNs) bring neighbouring GP practices together, with "
        "funding and incentives to collaborate on services for the patients they share. "
        "They are a central plank of the NHS Long Term Plan and could give general "
        "practice a route into more joined-up, inventive care across the wider NHS, "
        "though running them while keeping everyday surgeries going in a health service "
        "still recovering from the pandemic is no small task.\n\n"
        "We begin with what two national evaluations have found so far, set out under "
        "three themes. You then vote on which theme the panel should take up, and the "
        "conversation that follows draws on the research, your questions and your own "
        "sense of where the opportunities and pitfalls lie, with an eye to what this "
        "means for policy."
    ),
    "pre_reading": (
        "You will get much more out of the session if you read the summaries of the "
        "**BRACE rapid evaluation** and the **PRUComm interim report** before you arrive. "
        "Links to both are provided with the reports in the app, and a few minutes with "
        "each will make the findings and the panel debate far easier to follow."
    ),
}

PEOPLE = [
    {
        "key": "checkland",
        "name": "Prof Kath Checkland",
        "role": "chair",
        "job_title": "",
        "organisation": "The University of Manchester",
        "perspective": "",
        "bio": (
            "Prof Kath Checkland, of The University of Manchester, leads and chairs this "
            "workshop. She opens the session, runs the audience vote on which theme the "
            "panel should explore, and guides the discussion through to the close."
        ),
    },
    {
        "key": "hammond",
        "name": "Dr Jonathan Hammond",
        "role": "presenter",
        "job_title": "Research Fellow",
        "organisation": "The University of Manchester",
        "perspective": "",
        "bio": (
            "Dr Jonathan Hammond is a Research Fellow at The University of Manchester. "
            "In this workshop he presents the findings on policy and history: where "
            "networks came from and the range of aims that policy has set for them."
        ),
    },
    {
        "key": "parkinson",
        "name": "Sarah Parkinson",
        "role": "presenter",
        "job_title": "Analyst",
        "organisation": "RAND Europe",
        "perspective": "",
        "bio": (
            "Sarah Parkinson is an Analyst at RAND Europe and one of the authors of the "
            "BRACE rapid evaluation of Primary Care Networks. Together with Dr Manbinder "
            "Sidhu, she presents the findings on leadership, management and governance."
        ),
    },
    {
        "key": "sidhu",
        "name": "Dr Manbinder Sidhu",
        "role": "presenter",
        "job_title": "Research Fellow",
        "organisation": "University of Birmingham",
        "perspective": "",
        "bio": (
            "Dr Manbinder Sidhu is a Research Fellow at the University of Birmingham and "
            "a co-author of the BRACE rapid evaluation. He shares the leadership, "
            "management and governance findings with Sarah Parkinson."
        ),
    },
    {
        "key": "warwick-giles",
        "name": "Dr Lynsey Warwick-Giles",
        "role": "presenter",
        "job_title": "Research Fellow",
        "organisation": "The University of Manchester",
        "perspective": "",
        "bio": (
            "Dr Lynsey Warwick-Giles is a Research Fellow at The University of "
            "Manchester. She presents the findings on system engagement, looking at how "
            "networks relate to commissioners and the wider NHS."
        ),
    },
    {
        "key": "milton",
        "name": "Dr Ben Milton",
        "role": "panellist",
        "job_title": "Clinical Director; GP",
        "organisation": "Derbyshire Dales PCN",
        "perspective": "General practice",
        "bio": (
            "Dr Ben Milton is a GP and the Clinical Director of Derbyshire Dales PCN. "
            "On the panel he speaks from general practice, offering the view of someone "
            "who leads a network."
        ),
    },
    {
        "key": "butterworth",
        "name": "Olivia Butterworth",
        "role": "panellist",
        "job_title": "Head of Public Participation",
        "organisation": "NHS England and NHS Improvement",
        "perspective": "Policy-making",
        "bio": (
            "Olivia Butterworth is Head of Public Participation at NHS England and NHS "
            "Improvement. She joins the panel to bring a policy-making perspective to the "
            "discussion."
        ),
    },
    {
        "key": "anane",
        "name": "Dr Samira Anane",
        "role": "panellist",
        "job_title": "GP committee policy lead for education, training and workforce; GP",
        "organisation": "BMA",
        "perspective": "General practice and professional body",
        "bio": (
            "Dr Samira Anane is a GP and the policy lead for education, training and "
            "workforce on the BMA's GP committee. On the panel she draws on both general "
            "practice and the work of a professional body."
        ),
    },
    {
        "key": "fisher",
        "name": "Dr Becks Fisher",
        "role": "panellist",
        "job_title": "Senior Policy Fellow; GP",
        "organisation": "The Health Foundation",
        "perspective": "Think tank",
        "bio": (
            "Dr Becks Fisher is a GP and a Senior Policy Fellow at The Health Foundation. "
            "She brings a think-tank perspective to the panel."
        ),
    },
]

REPORTS = [
    {
        "key": "brace",
        "title": (
            "Early evidence of the development of primary care networks in England: "
            "a rapid evaluation study"
        ),
        "short_title": "BRACE rapid evaluation",
        "authors": "Judith Smith, Sarah Parkinson, Amelia Harshfield, Manbinder Sidhu",
        "publisher": (
            "NIHR BRACE Rapid Evaluation Centre (University of Birmingham Health "
            "Services Management Centre with RAND Europe); NIHR Health Services and "
            "Delivery Research journal"
        ),
        "year": 2020,
        "published": "October 2020",
        "url": "https://njl-admin.nihr.ac.uk/document/download/2034743",
        "doi": "10.3310/hsdr-tr-129678",
        "summary": (
            "This study set out to capture how primary care networks were taking shape "
            "in their first months after launch in July 2019. By May 2020 there were "
            "roughly 1,259 of them, covering populations from under 20,000 to far beyond "
            "the suggested range of 30,000–50,000.\n\n"
            "The team started with a rapid evidence assessment and a stakeholder "
            "workshop, then ran mixed-methods case studies of four networks using "
            "interviews, a survey, observation of meetings and documents. The arrival of "
            "COVID-19 brought data collection to an early end.\n\n"
            "Networks had been formed at pace and were already running new local "
            "services such as practice-based pharmacists, support for care homes and "
            "social prescribing. Practices said policy and financial incentives drove "
            'their decision to join, so taking part felt "almost mandatory". Earlier '
            "collaborations such as federations and super-partnerships often lent "
            "management, leadership and infrastructure, yet could cause friction where "
            "aims diverged. The authors flag ongoing difficulties with management "
            "support, agreeing direction and workload; a pull between local autonomy and "
            "national direction; uncertainty over where networks sit in the wider NHS; "
            "and particular issues for rural networks."
        ),
        "key_points": [
            "Networks were formed quickly after July 2019, with around 1,259 in place by May 2020.",
            "Network populations ranged from below 20,000 to well over the suggested 30,000–50,000.",
            "Early new services included practice-based pharmacists, care-home support and social prescribing.",
            'Practices joined mainly because of policy and financial incentives, so membership felt "almost mandatory".',
            "Existing GP collaborations helped with management and infrastructure but could clash with network aims.",
            "The main hurdles were management support, agreeing a shared direction, and workload.",
        ],
    },
    {
        "key": "prucomm",
        "title": (
            "Primary Care Networks: exploring primary care commissioning, contracting, "
            "and provision"
        ),
        "short_title": "PRUComm interim report",
        "authors": "",
        "publisher": "PRUComm (Policy Research Unit in Commissioning and the Healthcare System)",
        "year": 2020,
        "published": "11 December 2020",
        "url": "https://prucomm.ac.uk/assets/uploads/PRU-PCN_interim_report_FINAL.pdf",
        "doi": "",
        "summary": (
            "This interim report from PRUComm examines what primary care networks mean "
            "for the way primary care is commissioned, contracted and provided.\n\n"
            "The researchers spoke to national policy makers (16 of them, according to "
            "the linked BMJ Open paper), analysed how large networks are and how they are "
            "made up, and held telephone interviews with CCG staff whose job is to "
            "support networks (37, according to the linked BJGP paper).\n\n"
            "Networks are asked to serve several policy aims at once: shoring up general "
            "practice, fostering place-based working between organisations and giving "
            'primary care a louder "voice". These may not sit easily together, at least '
            "at first. Because networks differ so much in size and constitution, their "
            "challenges differ too, and CCG support and managerial expertise proved "
            "important in the early days. Commissioners described friction between the "
            "national network contract and locally commissioned services, and regarded "
            "part of their job as protecting networks from the weight of expectation "
            "placed on them."
        ),
        "key_points": [
            "Policy asks networks to pursue several aims at once, and these may pull against each other in the short term.",
            "Networks vary greatly in size and make-up, so the problems they face vary too.",
            "Support and managerial know-how from CCGs counted for a lot in the early stages.",
            "Commissioners noticed friction between the national network contract and locally commissioned services.",
            "Commissioners saw part of their role as protecting networks from heavy expectations.",
        ],
    },
]

THEMES = [
    {
        "key": "policy",
        "title": "Policy and history",
        "description": (
            "Traces the roots of networks in the NHS Long Term Plan, the 2019 network "
            "contract and previous GP collaborations, and asks what policy expects them "
            "to achieve."
        ),
        "findings": [
            {
                "text": (
                    "Networks appeared at speed: launched in July 2019, they numbered "
                    "roughly 1,259 by May 2020 and had already started new local services "
                    "such as practice-based pharmacists and social prescribing."
                ),
                "report": "brace",
                "location": "",
            },
            {
                "text": (
                    "Practices put their decision to join down to policy and financial "
                    'incentives, which left membership feeling **"almost mandatory"** '
                    "rather than freely chosen."
                ),
                "report": "brace",
                "location": "",
            },
            {
                "text": (
                    "Earlier forms of GP collaboration, such as federations and "
                    "super-partnerships, often gave networks a head start with "
                    "management, leadership and infrastructure, but could breed tension "
                    "when their goals and the network's did not match."
                ),
                "report": "brace",
                "location": "",
            },
            {
                "text": (
                    "Policy loads networks with several objectives at once: supporting "
                    "general practice, place-based collaboration between organisations "
                    'and a stronger "voice" for primary care. These may not all be '
                    "achievable together, at least in the short run."
                ),
                "report": "prucomm",
                "location": "",
            },
        ],
    },
    {
        "key": "leadership",
        "title": "Leadership, management and governance",
        "description": (
            "Looks at how networks are run: the role of clinical directors, the "
            "management capacity available, how member practices settle on shared goals "
            "and divide funding, and the pressure of workload."
        ),
        "findings": [
            {
                "text": (
                    "Securing enough management support was one of the main difficulties "
                    "networks reported in their early development."
                ),
                "report": "brace",
                "location": "",
            },
            {
                "text": (
                    "Member practices found it hard to agree on goals and direction, and "
                    "workload was a recurring strain."
                ),
                "report": "brace",
                "location": "",
            },
            {
                "text": (
                    "Network sizes differed widely, from populations under 20,000 to well "
                    "beyond the suggested 30,000–50,000."
                ),
                "report": "brace",
                "location": "",
            },
            {
                "text": (
                    "Because networks vary so much in size and constitution, they do not "
                    "all face the same challenges."
                ),
                "report": "prucomm",
                "location": "",
            },
            {
                "text": (
                    "Support from CCGs and access to managerial expertise made a real "
                    "difference while networks were getting started."
                ),
                "report": "prucomm",
                "location": "",
            },
        ],
    },
    {
        "key": "system",
        "title": "System engagement",
        "description": (
            "Considers how networks work with commissioners, community services and the "
            "wider system, including integrated care systems, and how they weigh local "
            "needs against national priorities."
        ),
        "findings": [
            {
                "text": (
                    "Networks were caught between local autonomy and top-down national policy."
                ),
                "report": "brace",
                "location": "",
            },
            {
                "text": (
                    "It remained unclear how networks fit into the rest of the NHS, and "
                    "networks in rural areas faced particular issues of their own."
                ),
                "report": "brace",
                "location": "",
            },
            {
                "text": (
                    "Commissioners saw tension between the national PCN contract and the "
                    "services they commission locally."
                ),
                "report": "prucomm",
                "location": "",
            },
            {
                "text": (
                    "CCG staff viewed part of their role as **shielding networks** from "
                    "the weight of expectations being placed on them."
                ),
                "report": "prucomm",
                "location": "",
            },
        ],
    },
]

AGENDA = [
    {
        "title": "Welcome and introductions",
        "kind": "welcome",
        "minutes": 5,
        "description": (
            "The chair introduces the speakers and panel and explains how the session "
            "will run, including how to join the vote."
        ),
        "leads": ["checkland"],
    },
    {
        "title": "Findings: policy and history",
        "kind": "presentation",
        "minutes": 12,
        "description": (
            "Theme 1, **Policy and history**: how networks came about and the mix of "
            "objectives policy has handed them."
        ),
        "leads": ["hammond"],
    },
    {
        "title": "Findings: leadership, management and governance",
        "kind": "presentation",
        "minutes": 12,
        "description": (
            "Theme 2, **Leadership, management and governance**: management support, "
            "agreeing shared goals and the pressure of workload."
        ),
        "leads": ["parkinson", "sidhu"],
    },
    {
        "title": "Findings: system engagement",
        "kind": "presentation",
        "minutes": 12,
        "description": (
            "Theme 3, **System engagement**: how networks relate to commissioners and "
            "the wider NHS, and the pull between local and national priorities."
        ),
        "leads": ["warwick-giles"],
    },
    {
        "title": "Audience vote: choose the panel's theme",
        "kind": "vote",
        "minutes": 5,
        "description": (
            "Everyone votes on which of the three themes the panel should concentrate "
            "on for the rest of the session."
        ),
        "leads": ["checkland"],
    },
    {
        "title": "Panel discussion of the chosen theme",
        "kind": "panel",
        "minutes": 25,
        "description": (
            "Panellists from general practice, a professional body, a think tank and "
            "policy-making respond to the findings on the winning theme and consider "
            "what they mean for policy."
        ),
        "leads": ["checkland", "milton", "butterworth", "anane", "fisher"],
    },
    {
        "title": "Audience questions and views",
        "kind": "questions",
        "minutes": 15,
        "description": (
            "Put your questions to the panel and share where you see the opportunities "
            "and challenges for networks as the NHS recovers and reorganises."
        ),
        "leads": ["checkland", "milton", "butterworth", "anane", "fisher"],
    },
    {
        "title": "Close",
        "kind": "close",
        "minutes": 4,
        "description": (
            "The chair pulls together the main points from the discussion and thanks "
            "everyone for taking part."
        ),
        "leads": ["checkland"],
    },
]
