"""General-knowledge word lists the entity corrections rely on (places, peoples, titles)."""

from __future__ import annotations


def _names(block: str) -> frozenset[str]:
    """Whitespace-separated names; `|` joins the words of a multi-word name."""
    return frozenset(item.replace("|", " ") for item in block.split())


# Sovereign states, their common short forms, and territories usually written as places. A
# span that is exactly one of these names a geopolitical entity (OntoNotes GPE).
COUNTRIES = _names(
    """
Afghanistan Albania Algeria Andorra Angola Argentina Armenia Australia Austria Azerbaijan
Bahamas Bahrain Bangladesh Barbados Belarus Belgium Belize Benin Bhutan Bolivia Bosnia
Botswana Brazil Brunei Bulgaria Burkina|Faso Burundi Cambodia Cameroon Canada Cape|Verde
Central|African|Republic Chile China Colombia Comoros Congo Costa|Rica Croatia Cuba Cyprus
Czechia Czech|Republic Denmark Djibouti Dominica Dominican|Republic Ecuador Egypt El|Salvador
Equatorial|Guinea Eritrea Estonia Eswatini Ethiopia Fiji Finland France Gabon Gambia Germany
Ghana Greece Grenada Guatemala Guinea Guyana Haiti Honduras Hungary Iceland India Indonesia
Iran Iraq Ireland Israel Italy Ivory|Coast Jamaica Japan Kazakhstan Kenya Kiribati Kosovo
Kuwait Kyrgyzstan Laos Latvia Lebanon Lesotho Liberia Libya Liechtenstein Lithuania Luxembourg
Madagascar Malawi Malaysia Maldives Mali Malta Mauritania Mauritius Mexico Micronesia Moldova
Monaco Mongolia Montenegro Morocco Mozambique Myanmar Namibia Nauru Nepal Netherlands
New|Zealand Nicaragua Niger Nigeria North|Korea North|Macedonia Norway Oman Pakistan Palau
Palestine Panama Papua|New|Guinea Paraguay Peru Philippines Poland Portugal Qatar Romania
Russia Rwanda Samoa San|Marino Saudi|Arabia Senegal Serbia Seychelles Sierra|Leone Singapore
Slovakia Slovenia Somalia South|Africa South|Korea South|Sudan Spain Sri|Lanka Sudan Suriname
Sweden Switzerland Syria Taiwan Tajikistan Tanzania Thailand Togo Tonga Trinidad|and|Tobago
Tunisia Turkmenistan Tuvalu Uganda Ukraine United|Arab|Emirates UAE United|Kingdom UK Britain
Great|Britain England Scotland Wales Northern|Ireland United|States US U.S. USA U.S.A. America
Uruguay Uzbekistan Vanuatu Vatican Venezuela Vietnam Yemen Zambia Zimbabwe Hong|Kong Macau
Greenland Puerto|Rico Gaza West|Bank Crimea Chad Jordan Georgia Turkey Türkiye
Soviet|Union USSR U.S.S.R. Yugoslavia Czechoslovakia Prussia East|Germany West|Germany
Ottoman|Empire Roman|Empire Holy|Roman|Empire Byzantine|Empire Russian|Empire British|Empire
Antigua|and|Barbuda Antigua Barbuda Bosnia|and|Herzegovina Herzegovina Cabo|Verde Guinea-Bissau
Democratic|Republic|of|the|Congo Republic|of|the|Congo Marshall|Islands Saint|Kitts|and|Nevis
Saint|Lucia Saint|Vincent|and|the|Grenadines Sao|Tome|and|Principe Solomon|Islands
Timor-Leste East|Timor Western|Sahara Palestinian|Territories
American|Samoa Anguilla Aruba Bermuda Bonaire British|Virgin|Islands Cayman|Islands
Cook|Islands Curaçao Curacao Falkland|Islands Faroe|Islands French|Guiana French|Polynesia
Gibraltar Guadeloupe Guam Guernsey Isle|of|Man Macao Martinique Mayotte Montserrat
New|Caledonia Niue Northern|Mariana|Islands Réunion Saint|Barthélemy Saint|Helena
Saint|Martin Saint|Pierre|and|Miquelon Sint|Maarten Tokelau Turks|and|Caicos|Islands
U.S.|Virgin|Islands Wallis|and|Futuna Åland|Islands Svalbard
"""
)

# Country names that are also common first names or words: relabel a model span, never add one.
AMBIGUOUS_PLACES = _names("Chad Jordan Georgia Turkey America Guinea Niger Victoria Washington")

# US states and large cities that news names without their country.
REGIONS_AND_CITIES = _names(
    """
Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Hawaii Idaho
Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan Minnesota
Mississippi Missouri Montana Nebraska Nevada New|Hampshire New|Jersey New|Mexico New|York
North|Carolina North|Dakota Ohio Oklahoma Oregon Pennsylvania Rhode|Island South|Carolina
South|Dakota Tennessee Texas Utah Vermont Virginia West|Virginia Wisconsin Wyoming
Ontario Quebec Bavaria Catalonia Scotland Tasmania Queensland Xinjiang Tibet Guangdong
London Paris Berlin Madrid Rome Moscow Kyiv Kiev Beijing Shanghai Shenzhen Hangzhou Tokyo Seoul
Delhi New|Delhi Mumbai Bangalore Bengaluru Karachi Lahore Dhaka Jakarta Manila Bangkok Hanoi
Singapore Sydney Melbourne Auckland Toronto Vancouver Montreal Ottawa Chicago Boston Seattle
San|Francisco Los|Angeles Houston Dallas Atlanta Miami Detroit Denver Phoenix Philadelphia
Brussels Amsterdam Vienna Prague Warsaw Budapest Athens Istanbul Ankara Cairo Lagos Nairobi
Johannesburg Cape|Town Tehran Baghdad Riyadh Dubai Doha Jerusalem Tel|Aviv Geneva Zurich
Frankfurt Munich Hamburg Milan Barcelona Lisbon Dublin Edinburgh Manchester Stockholm Oslo
Copenhagen Helsinki Mexico|City Sao|Paulo São|Paulo Rio|de|Janeiro Buenos|Aires Lima Bogota
Santiago Caracas Havana Taipei Hong|Kong Washington Brooklyn Manhattan Silicon|Valley
"""
)

# Continents, oceans and broad regions: OntoNotes LOC, not GPE.
LOCATIONS = _names(
    """
Africa Asia Europe Antarctica Oceania North|America South|America Latin|America
Middle|East Southeast|Asia East|Asia South|Asia Central|Asia Western|Europe Eastern|Europe
Sub-Saharan|Africa Balkans Caribbean Scandinavia Arctic Pacific Atlantic Mediterranean
Indo-Pacific Sahel Persian|Gulf Red|Sea Black|Sea South|China|Sea Baltic Himalayas Alps
"""
)

# Nationalities, demonyms, religious and political groups: OntoNotes NORP.
NATIONALITIES = _names(
    """
Afghan Albanian Algerian American Angolan Argentine Argentinian Armenian Australian Austrian
Azerbaijani Bangladeshi Belarusian Belgian Bolivian Bosnian Brazilian British Bulgarian
Burmese Cambodian Cameroonian Canadian Chilean Chinese Colombian Congolese Croatian Cuban
Cypriot Czech Danish Dutch Ecuadorian Egyptian Emirati English Eritrean Estonian Ethiopian
European Filipino Finnish French Georgian German Ghanaian Greek Guatemalan Haitian Honduran
Hungarian Icelandic Indian Indonesian Iranian Iraqi Irish Israeli Italian Ivorian Jamaican
Japanese Jordanian Kazakh Kenyan Korean Kosovar Kuwaiti Kyrgyz Lao Latvian Lebanese Liberian
Libyan Lithuanian Luxembourgish Malagasy Malawian Malaysian Malian Maltese Mexican Moldovan
Mongolian Montenegrin Moroccan Mozambican Namibian Nepali Nepalese Nicaraguan Nigerian Nigerien
Norwegian Omani Pakistani Palestinian Panamanian Paraguayan Peruvian Polish Portuguese Qatari
Romanian Russian Rwandan Saudi Scottish Senegalese Serbian Singaporean Slovak Slovenian Somali
South|African South|Korean North|Korean Spanish Sri|Lankan Sudanese Swedish Swiss Syrian
Taiwanese Tajik Tanzanian Thai Tunisian Turkish Turkmen Ugandan Ukrainian Uruguayan Uzbek
Venezuelan Vietnamese Welsh Yemeni Zambian Zimbabwean Arab Arabs Asian African Latino Hispanic
Kurdish Kurds Persian Pashtun Tamil Uyghur Uighur Palestinians Israelis Americans Europeans
Christian Christians Catholic Catholics Protestant Muslim Muslims Islamic Jewish Jews Hindu
Hindus Buddhist Buddhists Sikh Sunni Shia Shiite Orthodox Democrat Democrats Republican
Republicans Democratic Conservative Conservatives Socialist Socialists Communist
Communists Liberal Liberals Tory Tories Brexiteers Europhile Soviet Soviets Confederate
Confederates Roman Romans Byzantine Ottoman Jesuit Jesuits Protestants Anglican Lutheran
"""
)

# Words that precede a person's name and are not part of it in OntoNotes ("President [Biden]").
PERSON_TITLES = _names(
    """
Mr Mr. Mrs Mrs. Ms Ms. Dr Dr. Prof Prof. Sir Dame Lord Lady President Vice|President
Prime|Minister Minister Chancellor Senator Sen. Sen Rep. Rep Representative Congressman
Congresswoman Governor Gov. Gov Mayor Judge Justice Pope King Queen Prince Princess Sheikh
General Gen. Colonel Col. Captain Capt. Admiral Lieutenant Sergeant Commissioner Secretary
Ambassador Chairman Chairwoman Chair Director Coach Inspector Detective Officer Professor
Bishop Archbishop Cardinal Rabbi Imam Father Sister Brother Saint St. CEO Chief|Executive
Speaker Leader Premier Emperor Empress Crown|Prince Archduke Baroness Baron Count Countess
Miss Madam Mlle Mlle. Mme Mme. Madame Monsieur Mademoiselle Tsar Tsarina Tsarevna Tsarevich Czar
Marquis Marquess Duke Duchess Earl Viscount Major Major-General Lieutenant-General Brigadier
Corporal Private Rev. Reverend Fr. Sheikha Emir Sultan Shah Khan|Bahadur
"""
)

# Letters after a person's name that are not part of it ("Ana Ruiz FRS", "Tom Hale Jr.").
POSTNOMINALS = _names(
    "FRS FRSE FBA DBE CBE OBE MBE KBE RA QC KC MD PhD Ph.D. Jr Jr. Sr Sr. Esq Esq."
)

# Last words that make a span an organisation ("Acme Holdings", "Ministry of Health" is by the
# first word, see ORG_HEADS).
ORG_SUFFIXES = _names(
    """
Inc Inc. Corp Corp. Corporation Co Co. Ltd Ltd. LLC LLP PLC plc GmbH AG SA S.A. NV N.V.
Group Holdings Bank Bancorp Capital Partners Ventures Technologies Technology Labs
Laboratories Systems Motors Airlines Airways Pharmaceuticals Therapeutics Biosciences
Industries Enterprises Foundation Institute University College Agency Authority Commission
Committee Council Party Association Federation Union Alliance Fund Trust Society Organization
Organisation Ministry Department Bureau Office Administration Reserve Court Parliament Senate
Congress Assembly Army Navy Force Forces Police Guard Club FC Federation League Times Post
Journal News Network Studios Records Media Press Reuters
"""
)

ORG_HEADS = _names("Ministry Department University Bank Institute Bureau Office Council Board")

# Acronyms and capitalised words the model takes for names but a reader never wants as one:
# common-noun abbreviations of technology, business and politics, and sentence openers.
NOT_NAMES = _names(
    """
AI A.I. AGI ML LLM LLMs GPU GPUs CPU CPUs API APIs CEO CEOs CFO CTO COO IPO IPOs GDP CPI VAT
PR HR IT IoT VR AR XR VAR NFT NFTs SaaS ESG R&D Q1 Q2 Q3 Q4 FY TV PC PCs SUV SUVs EV EVs DNA RNA
PhD MP MPs OK AM PM A.M. P.M. FAQ PDF URL USB HTML CSS SQL BC BCE AD CE B.C. A.D. ATM ATMs
MVP RBI USD EUR GBP JPY CNY RMB CHF CAD AUD NZD INR RUB DKK SEK NOK MXN BRL CUC ZAR KRW HKD
Chief Executive Officer Officials Sources Analysts Critics Residents Experts Investors
Meanwhile However Moreover Still Yet Also Although Despite Instead Overall Today Yesterday
Tomorrow Earlier Later Asked Speaking Writing According Reporting Additional Editing Updated
Breaking Exclusive Analysis Opinion Read More Watch Photo Video Getty Images Reporting
Share Shares Subscribe Subscribed Unsubscribe Email E-mail Print Next Previous Prev View Views
Popular Trending Comment Comments Reply Login Log|in Sign|in Sign|up Register Menu Search Home
Follow Like Likes Tweet Advertisement Sponsored Newsletter Related Loading Close Skip Continue
Credit Credits Caption Image Images Photograph Copyright Contact About Privacy Cookies Terms
Subscribers Most|Read Read|more Sign|Up Log|In Show|more Load|more
"""
)

# Words that begin a byline line ("By Ana Ruiz - May 3"): the author of the page, not a name
# the article is about.
BYLINE_OPENERS = ("By ", "BY ", "Words by ", "Written by ", "Reporting by ", "Story by ")

# Prepositions after which an unknown capitalised name is most likely a place ("in Icheon").
LOCATIVE_PREPOSITIONS = frozenset(
    "in In at At from From near Near outside Outside across Across around inside".split()
)

# Prepositions after which a capitalised name the model calls a person is a place: one is
# "in" or "near" a town, hardly a person ("in Smith's view" is a possessive, cut before).
PLACE_PREPOSITIONS = frozenset("in near In Near".split())

# Nouns that, in an apposition right after a name, say what it is: ", its chief executive,"
# follows a person, ", a logistics company" an organisation.
PERSON_ROLES = frozenset(
    """
executive founder co-founder cofounder chairman chairwoman chair president vice-president
researcher scientist economist analyst spokesman spokeswoman spokesperson minister secretary
director professor engineer coach manager player striker goalkeeper midfielder defender author
writer lawyer attorney official governor senator leader chief head astrophysicist physicist
biologist chemist doctor surgeon nurse teacher student journalist reporter editor actor actress
singer artist designer investor entrepreneur banker trader candidate mayor ambassador general
officer spokesperson adviser advisor consultant pilot astronaut captain champion daughter son
wife husband mother father brother sister widow mathematician historian philosopher poet
novelist composer painter architect linguist magician comedian musician sculptor theologian
""".split()
)
ORG_NOUNS = frozenset(
    """
company firm start-up startup group maker manufacturer carmaker chipmaker retailer bank lender
insurer agency regulator lab laboratory organisation organization charity union party club team
broadcaster airline conglomerate giant developer provider operator supplier publisher newspaper
university institute foundation fund exchange platform network subsidiary unit division
consultancy studio brand
""".split()
)

# Nouns that, after "X is a", say a name is a place: "Halden is a small town in ...".
PLACE_NOUNS = frozenset(
    """
city town village hamlet island islands country state province region municipality county
district capital neighborhood neighbourhood suburb borough archipelago resort peninsula
""".split()
)

# Last words that make a span an event or a facility.
EVENT_SUFFIXES = _names(
    """
Cup Open Olympics Games Finals Final Championship Championships Grand|Prix Marathon Summit
Expo Festival Sessions Conference Congress|Party Tournament Series Derby Rally Regatta
Paralympics War Wars Revolution Uprising Rebellion Awards Convention Carnival
"""
) - frozenset({"Congress Party"})
# Events named by one word: a span that is exactly one of them is an event.
EVENT_NAMES = _names("Olympics Paralympics Olympiad")
FAC_SUFFIXES = _names(
    "Airport Stadium Arena Bridge Tunnel Station Highway Dam Tower Towers Canal Cathedral Museum "
    "Expressway Turnpike Freeway Motorway Building Hotel Mall Square Mosque Cemetery Harbour "
    "Harbor Monument Memorial Basilica Fortress Theatre Theater Boulevard Avenue Pier Minster"
)
# Last words of a building, street or park that are also surnames ("Alonzo Church", "Grace
# Park"): they make a facility of a span the model called anything but a person.
FAC_SUFFIXES_NOT_PERSON = _names(
    """
Park Street Road Palace Castle Church Temple Hall Abbey Chapel Lodge
Theatres Theaters Blvd Ave Ave. St. Rd Rd. Lane Terrace
"""
)
# First words of a facility or settlement name ("Fort Halden", "Port Ellis").
FAC_HEADS = _names("Fort Port")
# First words of a building's name before "of" ("Cathedral of Christ the Light").
FAC_HEADS_BEFORE_OF = _names("Cathedral Palace Castle Temple Basilica Abbey Mosque Museum")
# Words before a place's name that leave it a place: "Upper Manhattan", "Greater Halden".
PLACE_QUALIFIERS = _names(
    "Upper Lower Greater Old Inner Outer Central Northern Southern Eastern Western Downtown "
    "North South East West Northeast Northwest Southeast Southwest"
)
GPE_HEADS = _names("County Province Canton")  # "County Durham"

# Natural features (OntoNotes LOC, which the model often calls an organisation or a place):
# by their last word ("Yangtze River", "Silicon Valley"), by their first ("Lake Tahoe",
# "Mount Everest"), or by a head before "of" ("Gulf of Mexico", "Strait of Hormuz").
LOC_SUFFIXES = _names(
    "Ocean Sea River Mountains Strait Straits Gulf Desert Peninsula Channel Valley Basin Glacier "
    "Creek Falls Canyon Swamp Plateau Archipelago Reef Lagoon Cliffs Coast"
)
LOC_HEADS = _names("Lake Mount Mt.")
# Last words of an administrative area or an island: "Bergen County", "Palawan Province".
GPE_SUFFIXES = _names("County Province Prefecture Oblast Governorate Municipality Island Islands")
LOC_HEADS_BEFORE_OF = _names("Gulf Bay Sea Strait Straits Isle Cape Horn")

# Lower-case particles inside a person's name: "Ursula von der Leyen", "Lula da Silva".
NAME_PARTICLES = _names("von van der den de du da di del della le la bin ibn ter ten zu dos das")
