"""The demo's best practices: eight topics of a retail chain, each idea in French and English.

Pure data, read by ``grove.practices.demo``. An idea is written once per language (a short
title, three or four steps, what it changed) with its tags; ``target`` names the job types
(and ``countries`` the countries) it is meant for, when it is not for everyone. The seed turns
each into a Markdown body through a few templates, so the feed does not read like a form.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Version:
    title: str
    steps: tuple[str, ...]
    result: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Idea:
    fr: Version
    en: Version
    target: tuple[str, ...] = ()  # job type names
    countries: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


def _v(title: str, steps: list[str], result: str, tags: str) -> Version:
    return Version(title, tuple(steps), result, tuple(tags.split()))


TOPICS = [
    "Accueil client",
    "Merchandising",
    "Sécurité",
    "Hygiène",
    "Vente additionnelle",
    "Inventaire",
    "Onboarding",
    "Fidélisation",
]

IDEAS: dict[str, list[Idea]] = {
    "Accueil client": [
        Idea(
            _v(
                "La règle des trois mètres",
                [
                    "Dès qu'un client entre dans un rayon de **trois mètres**, on le regarde "
                    "et on sourit",
                    "On dit bonjour avant de reprendre sa tâche",
                    "On ne pose pas de question fermée (« Je peux vous aider ? ») : on propose "
                    "une piste",
                ],
                "les clients restent plus longtemps et les retours en caisse sont plus chaleureux.",
                "accueil sourire",
            ),
            _v(
                "The three-metre rule",
                [
                    "As soon as a customer is within **three metres**, make eye contact and smile",
                    "Say hello before going back to what you were doing",
                    'Avoid closed questions ("Can I help you?"): offer a lead instead',
                ],
                "customers stay longer and the checkout feedback is warmer.",
                "greeting smile",
            ),
        ),
        Idea(
            _v(
                "Un mot d'accueil dans la langue du client",
                [
                    "Afficher au vestiaire les formules d'accueil des **cinq langues** les "
                    "plus fréquentes",
                    "Chacun en apprend une nouvelle par mois",
                    "Noter sur le planning qui parle quelle langue",
                ],
                "les touristes reviennent et nous citent dans les avis en ligne.",
                "accueil tourisme langues",
            ),
            _v(
                "A welcome in the customer's language",
                [
                    "Pin the greetings of the **five most frequent languages** in the staff room",
                    "Everyone learns a new one each month",
                    "Mark on the rota who speaks which language",
                ],
                "tourists come back and mention us in online reviews.",
                "greeting tourism languages",
            ),
            countries=("FR", "ES", "IT"),
        ),
        Idea(
            _v(
                "Gérer la file d'attente aux heures de pointe",
                [
                    "Dès **quatre personnes** en file, on appelle un renfort par l'oreillette",
                    "Un collègue passe dans la file pour préparer les sacs et vérifier les "
                    "étiquettes",
                    "On remercie chaque client pour sa patience",
                ],
                "l'attente perçue a baissé et les abandons en caisse aussi.",
                "caisse file-attente",
            ),
            _v(
                "Handling the queue at peak hours",
                [
                    "From **four people** in the queue, call for backup on the headset",
                    "A colleague walks the queue to prepare bags and check price tags",
                    "Thank every customer for their patience",
                ],
                "perceived waiting time went down, and so did abandoned baskets.",
                "checkout queue",
            ),
            target=("Cashier", "Store manager"),
        ),
        Idea(
            _v(
                "Accompagner plutôt qu'indiquer",
                [
                    "Quand un client cherche un produit, on l'**accompagne** jusqu'au rayon",
                    "On en profite pour demander l'usage prévu",
                    "On montre une alternative si le produit manque",
                ],
                "moins de clients repartent les mains vides.",
                "accueil conseil",
            ),
            _v(
                "Walk them there, don't point",
                [
                    "When a customer looks for a product, **walk them** to the aisle",
                    "Use the walk to ask what they need it for",
                    "Show an alternative if the product is out of stock",
                ],
                "fewer customers leave empty-handed.",
                "greeting advice",
            ),
        ),
        Idea(
            _v(
                "Le brief de 5 minutes avant l'ouverture",
                [
                    "Chiffre de la veille et objectif du jour",
                    "**Une** priorité client (ex. : les retours, un nouveau produit)",
                    "Qui est où, qui remplace qui pendant les pauses",
                ],
                "toute l'équipe sait quoi répondre dès le premier client.",
                "brief équipe ouverture",
            ),
            _v(
                "The five-minute briefing before opening",
                [
                    "Yesterday's figure and today's goal",
                    "**One** customer priority (returns, a new product...)",
                    "Who is where, who covers whom during breaks",
                ],
                "the whole team knows what to say from the first customer on.",
                "briefing team opening",
            ),
            target=("Store manager",),
        ),
        Idea(
            _v(
                "Accueillir un client mécontent",
                [
                    "Écouter jusqu'au bout sans interrompre",
                    "Reformuler : « Si je comprends bien, ... »",
                    "Proposer **deux** solutions et laisser choisir",
                    "Noter le cas dans le cahier de liaison",
                ],
                "la plupart des réclamations se règlent en magasin, sans escalade.",
                "réclamation écoute",
            ),
            _v(
                "Welcoming an unhappy customer",
                [
                    "Listen to the end without interrupting",
                    'Rephrase: "If I understand correctly, ..."',
                    "Offer **two** solutions and let them choose",
                    "Log the case in the team notebook",
                ],
                "most complaints are settled in store, without escalation.",
                "complaints listening",
            ),
        ),
        Idea(
            _v(
                "Une place pour les poussettes et les fauteuils",
                [
                    "Garder une **allée de 1,20 m** libre près de l'entrée",
                    "Signaler la caisse prioritaire par un pictogramme",
                    "Vérifier l'allée à chaque ronde",
                ],
                "les familles et les clients en fauteuil nous remercient régulièrement.",
                "accessibilité accueil",
            ),
            _v(
                "Room for prams and wheelchairs",
                [
                    "Keep a **1.2 m aisle** clear near the entrance",
                    "Mark the priority checkout with a pictogram",
                    "Check the aisle on every round",
                ],
                "families and wheelchair users regularly thank us.",
                "accessibility greeting",
            ),
        ),
        Idea(
            _v(
                "Dire au revoir, même aux clients sans achat",
                [
                    "Un « bonne journée » à chaque client qui sort",
                    "Si le client n'a rien trouvé, lui demander ce qu'il cherchait",
                    "Remonter la demande dans le cahier des produits manquants",
                ],
                "on a ajouté trois références demandées plusieurs fois.",
                "accueil départ",
            ),
            _v(
                "Say goodbye, even to those who bought nothing",
                [
                    'A "have a nice day" to every customer leaving',
                    "If they found nothing, ask what they were looking for",
                    "Write it in the missing-products notebook",
                ],
                "we added three products that had been asked for several times.",
                "greeting farewell",
            ),
        ),
    ],
    "Merchandising": [
        Idea(
            _v(
                "La table d'entrée change chaque lundi",
                [
                    "Une thématique par semaine (saison, événement local, nouveauté)",
                    "**Trois hauteurs** de présentation maximum",
                    "Une photo envoyée au responsable régional",
                ],
                "les clients fidèles s'arrêtent à nouveau à l'entrée.",
                "vitrine table-entrée",
            ),
            _v(
                "The entrance table changes every Monday",
                [
                    "One theme a week (season, local event, new arrivals)",
                    "**Three display heights** at most",
                    "A photo sent to the regional manager",
                ],
                "regular customers stop at the entrance again.",
                "window entrance-table",
            ),
            target=("Visual merchandiser", "Store manager"),
        ),
        Idea(
            _v(
                "Le facing du matin en 10 minutes",
                [
                    "Chacun prend **un rayon** attribué sur le planning",
                    "On avance les produits, étiquettes face client",
                    "Les trous sont signalés à la réserve avant 9 h",
                ],
                "les rayons sont pleins à l'ouverture, même après une grosse journée.",
                "facing rayon",
            ),
            _v(
                "Morning facing in ten minutes",
                [
                    "Everyone takes **one aisle** assigned on the rota",
                    "Bring products forward, labels facing out",
                    "Gaps are reported to the stockroom before 9 am",
                ],
                "shelves look full at opening, even after a busy day.",
                "facing shelves",
            ),
        ),
        Idea(
            _v(
                "Les couleurs en dégradé sur le mur textile",
                [
                    "Du clair vers le foncé, de gauche à droite",
                    "Les tailles de la plus petite à la plus grande, de haut en bas",
                    "Un **produit star** à hauteur des yeux",
                ],
                "le mur se lit d'un coup d'œil et se range plus vite.",
                "textile couleurs mur",
            ),
            _v(
                "Colour gradient on the clothing wall",
                [
                    "Light to dark, left to right",
                    "Sizes from smallest to largest, top to bottom",
                    "A **hero product** at eye level",
                ],
                "the wall reads at a glance and is quicker to tidy.",
                "apparel colours wall",
            ),
            target=("Visual merchandiser",),
        ),
        Idea(
            _v(
                "Des étiquettes « coup de cœur » écrites par l'équipe",
                [
                    "Chaque vendeur choisit **un produit** qu'il aime",
                    "Il écrit trois lignes à la main : pourquoi, pour qui",
                    "On change les étiquettes chaque mois",
                ],
                "ces produits se vendent nettement mieux que leurs voisins.",
                "étiquette coup-de-cœur",
            ),
            _v(
                "Staff picks, handwritten",
                [
                    "Each associate picks **one product** they love",
                    "They write three lines by hand: why, for whom",
                    "Labels change every month",
                ],
                "these products clearly outsell their neighbours.",
                "labels staff-picks",
            ),
        ),
        Idea(
            _v(
                "Le bout de gondole raconte une histoire",
                [
                    "Un produit principal et **deux complémentaires**",
                    "Un prix lisible à deux mètres",
                    "Pas plus de trois messages sur la PLV",
                ],
                "le panier moyen augmente sur les produits mis en avant.",
                "tête-de-gondole plv",
            ),
            _v(
                "The end cap tells a story",
                [
                    "One main product and **two companions**",
                    "A price readable from two metres",
                    "No more than three messages on the signage",
                ],
                "the average basket grows on featured products.",
                "end-cap signage",
            ),
        ),
        Idea(
            _v(
                "Photo de référence pour chaque implantation",
                [
                    "Après chaque changement, une **photo** du rayon terminé",
                    "Elle est épinglée dans l'espace équipe",
                    "Le soir, on remet le rayon comme sur la photo",
                ],
                "l'implantation tient toute la semaine, pas seulement le lundi.",
                "implantation photo",
            ),
            _v(
                "A reference photo for every layout",
                [
                    "After each change, a **photo** of the finished shelf",
                    "Pin it in the team space",
                    "In the evening, reset the shelf to match the photo",
                ],
                "the layout holds all week, not just on Mondays.",
                "planogram photo",
            ),
        ),
        Idea(
            _v(
                "Éclairer les produits, pas le sol",
                [
                    "Orienter les spots vers les **faces produits**",
                    "Remplacer les ampoules grillées le jour même",
                    "Vérifier la vitrine de nuit une fois par mois",
                ],
                "la vitrine attire davantage le soir.",
                "éclairage vitrine",
            ),
            _v(
                "Light the products, not the floor",
                [
                    "Aim spotlights at the **product faces**",
                    "Replace burnt-out bulbs the same day",
                    "Check the window at night once a month",
                ],
                "the window draws more people in the evening.",
                "lighting window",
            ),
            target=("Visual merchandiser", "Store manager"),
        ),
        Idea(
            _v(
                "Le rayon promo reste rangé grâce aux bacs",
                [
                    "Des **bacs par taille** plutôt qu'un tas",
                    "Une étiquette prix par bac",
                    "Une ronde de rangement toutes les heures le samedi",
                ],
                "moins de produits abîmés et des clients qui trouvent leur taille.",
                "promo rangement",
            ),
            _v(
                "Bins keep the sale rack tidy",
                [
                    "**Bins by size** rather than a pile",
                    "One price label per bin",
                    "A tidy-up round every hour on Saturdays",
                ],
                "fewer damaged goods, and customers find their size.",
                "sale tidy",
            ),
        ),
    ],
    "Sécurité": [
        Idea(
            _v(
                "Le tour de sécurité de l'ouverture",
                [
                    "Issues de secours **dégagées et déverrouillées**",
                    "Extincteurs visibles, goupilles en place",
                    "Pas de carton dans les allées",
                    "Cocher la fiche et la signer",
                ],
                "rien à signaler lors des deux derniers contrôles.",
                "sécurité ouverture issues-de-secours",
            ),
            _v(
                "The opening safety round",
                [
                    "Emergency exits **clear and unlocked**",
                    "Extinguishers visible, pins in place",
                    "No boxes in the aisles",
                    "Tick the sheet and sign it",
                ],
                "nothing to report at the last two inspections.",
                "safety opening emergency-exits",
            ),
            target=("Store manager",),
        ),
        Idea(
            _v(
                "Porter les charges sans se blesser",
                [
                    "Jambes fléchies, **dos droit**, charge près du corps",
                    "Au-delà de 15 kg, on est deux ou on prend le diable",
                    "On ne tourne pas le buste en portant",
                ],
                "aucun arrêt pour mal de dos cette année à l'entrepôt.",
                "manutention dos",
            ),
            _v(
                "Lifting without getting hurt",
                [
                    "Bend your knees, **back straight**, load close to your body",
                    "Above 15 kg, two people or the hand truck",
                    "Don't twist while carrying",
                ],
                "no sick leave for back pain at the warehouse this year.",
                "handling back",
            ),
            target=("Warehouse operator",),
        ),
        Idea(
            _v(
                "Le code couleur des escabeaux",
                [
                    "Une **pastille verte** : contrôlé ce mois-ci",
                    "Une pastille rouge : à ne pas utiliser, à signaler",
                    "Contrôle le premier lundi du mois",
                ],
                "plus aucun escabeau douteux en service.",
                "escabeau contrôle",
            ),
            _v(
                "Colour codes on stepladders",
                [
                    "A **green dot**: checked this month",
                    "A red dot: do not use, report it",
                    "Checked on the first Monday of the month",
                ],
                "no doubtful stepladder in use any more.",
                "stepladder inspection",
            ),
        ),
        Idea(
            _v(
                "Fermeture à deux, toujours",
                [
                    "Jamais seul pour **fermer le magasin**",
                    "Un fait le tour, l'autre reste près de la porte",
                    "On sort ensemble et on vérifie l'alarme depuis l'appli",
                ],
                "l'équipe du soir se sent plus en sécurité.",
                "fermeture sécurité",
            ),
            _v(
                "Always close in pairs",
                [
                    "Never **close the store** alone",
                    "One does the round, the other stays near the door",
                    "Leave together and check the alarm from the app",
                ],
                "the evening team feels safer.",
                "closing safety",
            ),
        ),
        Idea(
            _v(
                "Un sol mouillé, un panneau, tout de suite",
                [
                    "Les **panneaux** sont rangés près de chaque point d'eau",
                    "Le premier qui voit pose le panneau puis appelle",
                    "On retire le panneau seulement une fois sec",
                ],
                "plus de chute de client depuis l'hiver dernier.",
                "chute sol-mouillé",
            ),
            _v(
                "Wet floor? Sign it, right now",
                [
                    "**Signs** are stored near every water point",
                    "Whoever sees it first puts the sign down, then calls",
                    "Remove the sign only once the floor is dry",
                ],
                "no customer falls since last winter.",
                "falls wet-floor",
            ),
        ),
        Idea(
            _v(
                "Le chariot élévateur : la zone piétonne au sol",
                [
                    "Une **bande jaune** délimite le passage piéton",
                    "Le cariste klaxonne à chaque intersection",
                    "Gilet haute visibilité obligatoire dans la zone",
                ],
                "zéro presque-accident signalé ce trimestre.",
                "entrepôt chariot",
            ),
            _v(
                "Forklifts: a pedestrian lane on the floor",
                [
                    "A **yellow strip** marks the pedestrian lane",
                    "The driver sounds the horn at every crossing",
                    "High-visibility vest required in the area",
                ],
                "zero near misses reported this quarter.",
                "warehouse forklift",
            ),
            target=("Warehouse operator",),
            countries=("DE", "NL", "PL", "GB"),
        ),
        Idea(
            _v(
                "Que faire face à un vol à l'étalage",
                [
                    "**Ne jamais** poursuivre ni retenir physiquement",
                    "Noter l'heure, la description, les produits",
                    "Prévenir le responsable, qui décide de la suite",
                ],
                "personne ne s'est mis en danger et les dépôts de plainte sont complets.",
                "vol sûreté",
            ),
            _v(
                "What to do about shoplifting",
                [
                    "**Never** chase or hold anyone",
                    "Note the time, a description, the products",
                    "Tell the manager, who decides what comes next",
                ],
                "nobody put themselves at risk and police reports are complete.",
                "theft security",
            ),
        ),
        Idea(
            _v(
                "Le cutter de sécurité pour tous",
                [
                    "Uniquement des **cutters à lame rétractable**",
                    "Un cutter par personne, rangé à la ceinture",
                    "Lames changées chaque semaine",
                ],
                "plus de coupures lors de l'ouverture des cartons.",
                "cutter coupure",
            ),
            _v(
                "Safety cutters for everyone",
                [
                    "Only **self-retracting blade** cutters",
                    "One cutter per person, kept on the belt",
                    "Blades changed weekly",
                ],
                "no more cuts when opening boxes.",
                "cutter cuts",
            ),
        ),
    ],
    "Hygiène": [
        Idea(
            _v(
                "Le planning de nettoyage affiché",
                [
                    "Chaque zone a **un nom et un créneau**",
                    "On coche après chaque passage",
                    "Le responsable vérifie le planning à midi et le soir",
                ],
                "le magasin est propre toute la journée, pas seulement le matin.",
                "nettoyage planning",
            ),
            _v(
                "A visible cleaning schedule",
                [
                    "Each area has **a name and a time slot**",
                    "Tick after every pass",
                    "The manager checks the schedule at noon and in the evening",
                ],
                "the store is clean all day, not just in the morning.",
                "cleaning schedule",
            ),
        ),
        Idea(
            _v(
                "Lavage des mains : les cinq moments",
                [
                    "En arrivant, après la pause, après les déchets",
                    "Avant de toucher un produit frais",
                    "Après avoir manipulé de l'argent, avant le rayon traiteur",
                    "**30 secondes**, savon et essuie-main jetable",
                ],
                "zéro remarque lors du dernier audit d'hygiène.",
                "mains hygiène",
            ),
            _v(
                "Hand washing: the five moments",
                [
                    "On arrival, after breaks, after handling waste",
                    "Before touching fresh products",
                    "After handling cash, before the deli counter",
                    "**30 seconds**, soap and paper towel",
                ],
                "no remarks at the last hygiene audit.",
                "hands hygiene",
            ),
        ),
        Idea(
            _v(
                "Relevé des températures deux fois par jour",
                [
                    "À l'ouverture et à 15 h, **chaque meuble froid**",
                    "Au-delà de 4 °C : on déplace les produits et on appelle la maintenance",
                    "Le relevé est signé",
                ],
                "aucune perte de produits frais depuis la mise en place.",
                "froid température",
            ),
            _v(
                "Temperature checks twice a day",
                [
                    "At opening and at 3 pm, **every fridge**",
                    "Above 4 °C: move the products and call maintenance",
                    "Sign the log",
                ],
                "no loss of fresh products since we started.",
                "cold-chain temperature",
            ),
        ),
        Idea(
            _v(
                "Premier entré, premier sorti, sans exception",
                [
                    "Les nouveaux produits vont **derrière**",
                    "Les dates courtes devant, avec une pastille orange",
                    "Contrôle des dates chaque matin sur un rayon tournant",
                ],
                "la démarque sur les produits frais a nettement baissé.",
                "fifo dates",
            ),
            _v(
                "First in, first out, no exceptions",
                [
                    "New stock goes **at the back**",
                    "Short dates at the front, with an orange sticker",
                    "Date checks every morning on a rotating aisle",
                ],
                "fresh-food shrinkage went down clearly.",
                "fifo dates",
            ),
        ),
        Idea(
            _v(
                "Des chiffons de couleur pour chaque zone",
                [
                    "**Bleu** : surfaces de vente, **vert** : alimentaire",
                    "**Rouge** : sanitaires, jamais ailleurs",
                    "Lavage à 60 °C chaque soir",
                ],
                "plus de contamination croisée possible, même par un remplaçant.",
                "nettoyage couleurs",
            ),
            _v(
                "Colour-coded cloths for each area",
                [
                    "**Blue**: sales floor, **green**: food areas",
                    "**Red**: toilets, never anywhere else",
                    "Washed at 60 °C every evening",
                ],
                "no cross-contamination possible, even with a temp.",
                "cleaning colours",
            ),
        ),
        Idea(
            _v(
                "La caisse désinfectée à chaque changement d'équipe",
                [
                    "Lingette sur le **terminal de paiement**, le tapis, le scanner",
                    "Gel hydroalcoolique à disposition des clients",
                    "Une ligne sur la fiche de caisse",
                ],
                "les clients le remarquent et le disent.",
                "caisse désinfection",
            ),
            _v(
                "Checkout wiped at every shift change",
                [
                    "Wipe the **card terminal**, the belt, the scanner",
                    "Hand gel available for customers",
                    "One line on the till sheet",
                ],
                "customers notice and say so.",
                "checkout disinfection",
            ),
            target=("Cashier",),
        ),
        Idea(
            _v(
                "Les poubelles de la réserve vidées avant midi",
                [
                    "Un **responsable déchets** par jour sur le planning",
                    "Tri carton, plastique, ordures",
                    "Bacs rincés le vendredi",
                ],
                "plus d'odeur dans la réserve, même l'été.",
                "déchets réserve",
            ),
            _v(
                "Stockroom bins emptied before noon",
                [
                    "One **waste lead** a day on the rota",
                    "Sort cardboard, plastic, general waste",
                    "Bins rinsed on Fridays",
                ],
                "no more smell in the stockroom, even in summer.",
                "waste stockroom",
            ),
            target=("Warehouse operator", "Store manager"),
        ),
        Idea(
            _v(
                "Une tenue propre, une tenue de rechange",
                [
                    "Chaque vendeur a **une tenue de rechange** au vestiaire",
                    "Les cheveux longs attachés au rayon frais",
                    "Badge visible en permanence",
                ],
                "une image soignée, même après un déchargement.",
                "tenue présentation",
            ),
            _v(
                "A clean uniform, and a spare one",
                [
                    "Every associate keeps **a spare uniform** in the locker room",
                    "Long hair tied back at the fresh counter",
                    "Name badge always visible",
                ],
                "a neat look, even after unloading a truck.",
                "uniform appearance",
            ),
        ),
    ],
    "Vente additionnelle": [
        Idea(
            _v(
                "Proposer l'accessoire au bon moment",
                [
                    "Pas avant la décision d'achat : **après** le « je le prends »",
                    "Un seul accessoire, en lien direct avec le produit",
                    "Le montrer en main plutôt que le citer",
                ],
                "un client sur trois repart avec l'accessoire.",
                "accessoire panier",
            ),
            _v(
                "Offer the accessory at the right moment",
                [
                    'Not before the decision: **after** "I\'ll take it"',
                    "Just one accessory, directly linked to the product",
                    "Show it in your hand rather than naming it",
                ],
                "one customer in three leaves with the accessory.",
                "accessories basket",
            ),
            target=("Sales associate",),
        ),
        Idea(
            _v(
                "La question « c'est pour quelle occasion ? »",
                [
                    "Poser la question dès que le client hésite",
                    "Proposer un **ensemble complet** pour l'occasion",
                    "Laisser le client retirer ce qu'il ne veut pas",
                ],
                "le panier moyen a progressé sur les tenues de fête.",
                "conseil occasion",
            ),
            _v(
                'Ask "what\'s the occasion?"',
                [
                    "Ask as soon as the customer hesitates",
                    "Suggest a **complete outfit** for the occasion",
                    "Let them take out what they don't want",
                ],
                "the average basket grew on party outfits.",
                "advice occasion",
            ),
        ),
        Idea(
            _v(
                "Les piles et les câbles à la caisse",
                [
                    "Un **présentoir** de petits indispensables près de chaque caisse",
                    "Le caissier demande : « Vous avez ce qu'il faut pour le brancher ? »",
                    "Réassort tous les soirs",
                ],
                "les ventes de petits accessoires ont doublé.",
                "caisse impulsion",
            ),
            _v(
                "Batteries and cables at the till",
                [
                    "A **stand** of small essentials near every till",
                    'The cashier asks: "Do you have what you need to plug it in?"',
                    "Restock every evening",
                ],
                "small accessory sales doubled.",
                "checkout impulse",
            ),
            target=("Cashier",),
        ),
        Idea(
            _v(
                "La démonstration de 30 secondes",
                [
                    "Chaque vendeur maîtrise **une démo courte** par famille de produits",
                    "On la fait faire au client, pas seulement la montrer",
                    "On conclut par le bénéfice, pas la caractéristique",
                ],
                "les produits démontrés se vendent deux fois plus.",
                "démonstration produit",
            ),
            _v(
                "The thirty-second demo",
                [
                    "Every associate masters **a short demo** per product family",
                    "Let the customer do it, don't just show it",
                    "End on the benefit, not the feature",
                ],
                "demonstrated products sell twice as much.",
                "demo product",
            ),
        ),
        Idea(
            _v(
                "Parler de la garantie sans forcer",
                [
                    "Présenter l'extension de garantie **une seule fois**",
                    "Avec un exemple concret de panne et son coût",
                    "Accepter le non avec le sourire",
                ],
                "le taux d'acceptation monte et aucune plainte pour insistance.",
                "garantie service",
            ),
            _v(
                "Mention the warranty without pushing",
                [
                    "Present the extended warranty **once only**",
                    "With a concrete example of a breakdown and its cost",
                    "Take a no with a smile",
                ],
                "take-up rose and no complaints about pushiness.",
                "warranty service",
            ),
            target=("Sales associate", "Cashier"),
        ),
        Idea(
            _v(
                "Préparer les rendez-vous clients professionnels",
                [
                    "Relire l'historique d'achats **la veille**",
                    "Venir avec deux nouveautés adaptées à son activité",
                    "Proposer un réassort automatique",
                ],
                "les commandes des clients pros ont augmenté ce semestre.",
                "b2b rendez-vous",
            ),
            _v(
                "Prepare visits to business customers",
                [
                    "Read their purchase history **the day before**",
                    "Bring two new products suited to their business",
                    "Offer automatic restocking",
                ],
                "orders from business customers grew this half-year.",
                "b2b visits",
            ),
            target=("Regional sales rep",),
        ),
        Idea(
            _v(
                "Le panier « prêt à offrir »",
                [
                    "Trois paniers cadeaux **déjà composés** près de l'entrée",
                    "Un prix rond pour chacun",
                    "Emballage offert sur demande",
                ],
                "les paniers partent en priorité avant les fêtes.",
                "cadeau fêtes",
            ),
            _v(
                "Ready-to-give baskets",
                [
                    "Three gift baskets **already made up** near the entrance",
                    "A round price for each",
                    "Free wrapping on request",
                ],
                "the baskets go first before the holidays.",
                "gifts holidays",
            ),
        ),
        Idea(
            _v(
                "Le produit complémentaire sur l'étiquette",
                [
                    "Ajouter sur l'étiquette : « **Se marie bien avec...** »",
                    "Placer le produit complémentaire à moins d'un mètre",
                    "Changer les associations chaque saison",
                ],
                "les ventes croisées se font sans vendeur.",
                "étiquette vente-croisée",
            ),
            _v(
                "The companion product on the label",
                [
                    'Add to the label: "**Goes well with...**"',
                    "Place the companion product within a metre",
                    "Change the pairings every season",
                ],
                "cross-selling happens without an associate.",
                "labels cross-selling",
            ),
        ),
    ],
    "Inventaire": [
        Idea(
            _v(
                "L'inventaire tournant quotidien",
                [
                    "Compter **un rayon par jour**, à la même heure",
                    "Écarts au-delà de 2 % recomptés par une autre personne",
                    "Corrections saisies le jour même",
                ],
                "l'inventaire annuel a pris deux heures de moins.",
                "inventaire comptage",
            ),
            _v(
                "Daily cycle counting",
                [
                    "Count **one aisle a day**, at the same time",
                    "Gaps above 2% recounted by someone else",
                    "Corrections entered the same day",
                ],
                "the yearly stock count took two hours less.",
                "stock-count counting",
            ),
            target=("Warehouse operator", "Store manager"),
        ),
        Idea(
            _v(
                "La réception contrôlée carton par carton",
                [
                    "Scanner **chaque colis** avant de signer le bon",
                    "Noter les réserves précises sur le bon du transporteur",
                    "Photo des cartons abîmés",
                ],
                "les litiges fournisseurs se règlent en quelques jours.",
                "réception livraison",
            ),
            _v(
                "Check deliveries box by box",
                [
                    "Scan **every parcel** before signing the delivery note",
                    "Write precise reservations on the carrier's note",
                    "Photograph damaged boxes",
                ],
                "supplier disputes are settled in days.",
                "receiving delivery",
            ),
            target=("Warehouse operator",),
        ),
        Idea(
            _v(
                "Une adresse pour chaque produit en réserve",
                [
                    "Étagères numérotées : **allée-niveau-case**",
                    "L'adresse est notée dans le système à la mise en stock",
                    "Rien ne se pose au sol",
                ],
                "on retrouve un produit en moins d'une minute.",
                "réserve rangement",
            ),
            _v(
                "An address for every product in the stockroom",
                [
                    "Numbered shelves: **aisle-level-bin**",
                    "The address is entered in the system when stocked",
                    "Nothing goes on the floor",
                ],
                "we find any product in under a minute.",
                "stockroom storage",
            ),
        ),
        Idea(
            _v(
                "Le stock de sécurité des meilleures ventes",
                [
                    "Repérer les **20 meilleures ventes** chaque mois",
                    "Fixer un seuil de commande pour chacune",
                    "Alerte automatique dans l'outil de commande",
                ],
                "plus de rupture sur les produits phares.",
                "rupture commande",
            ),
            _v(
                "Safety stock for best-sellers",
                [
                    "Identify the **top 20 sellers** every month",
                    "Set a reorder point for each",
                    "Automatic alert in the ordering tool",
                ],
                "no more stock-outs on key products.",
                "stock-out ordering",
            ),
            target=("Store manager",),
        ),
        Idea(
            _v(
                "Les retours clients traités le jour même",
                [
                    "Un **bac retours** derrière la caisse",
                    "Tri en fin de journée : remise en rayon, SAV, destruction",
                    "Saisie dans le stock avant la fermeture",
                ],
                "le stock informatique colle enfin à la réalité.",
                "retours stock",
            ),
            _v(
                "Customer returns handled the same day",
                [
                    "A **returns bin** behind the till",
                    "Sorted at the end of the day: back on shelf, repair, write-off",
                    "Entered in stock before closing",
                ],
                "the system's stock finally matches reality.",
                "returns stock",
            ),
        ),
        Idea(
            _v(
                "Préparer l'inventaire annuel dès la veille",
                [
                    "Rayons **rangés et étiquetés** par zone",
                    "Équipes en binômes : un compte, un saisit",
                    "Zones difficiles confiées aux plus expérimentés",
                ],
                "un inventaire terminé avant minuit, pour la première fois.",
                "inventaire préparation",
            ),
            _v(
                "Prepare the yearly count the day before",
                [
                    "Shelves **tidied and labelled** by zone",
                    "Teams of two: one counts, one enters",
                    "Tricky zones go to the most experienced",
                ],
                "a stock count finished before midnight, for the first time.",
                "stock-count preparation",
            ),
        ),
        Idea(
            _v(
                "Suivre la démarque connue chaque semaine",
                [
                    "Chaque produit cassé ou périmé est **scanné** avant d'être jeté",
                    "Le total est affiché le lundi",
                    "On cherche ensemble la cause du premier poste",
                ],
                "la démarque a baissé dès le deuxième mois.",
                "démarque casse",
            ),
            _v(
                "Track known shrinkage every week",
                [
                    "Every broken or expired product is **scanned** before being thrown away",
                    "The total is posted on Mondays",
                    "We look for the cause of the biggest item together",
                ],
                "shrinkage fell from the second month on.",
                "shrinkage breakage",
            ),
        ),
        Idea(
            _v(
                "Le réassort du soir avec une liste",
                [
                    "La caisse imprime les **ventes du jour** par rayon",
                    "La liste guide le réassort depuis la réserve",
                    "Ce qui manque en réserve part en commande",
                ],
                "les rayons sont complets à l'ouverture suivante.",
                "réassort liste",
            ),
            _v(
                "Evening restocking from a list",
                [
                    "The till prints **the day's sales** by aisle",
                    "The list drives restocking from the stockroom",
                    "Whatever is missing goes on order",
                ],
                "shelves are full at the next opening.",
                "restocking list",
            ),
        ),
    ],
    "Onboarding": [
        Idea(
            _v(
                "Un parrain pour chaque nouvel arrivant",
                [
                    "Le parrain est choisi **avant** le premier jour",
                    "Il déjeune avec le nouveau la première semaine",
                    "Point de 15 minutes chaque vendredi du premier mois",
                ],
                "les nouveaux restent plus longtemps et posent plus de questions.",
                "parrainage intégration",
            ),
            _v(
                "A buddy for every newcomer",
                [
                    "The buddy is chosen **before** day one",
                    "They have lunch together the first week",
                    "A 15-minute check-in every Friday of the first month",
                ],
                "newcomers stay longer and ask more questions.",
                "buddy onboarding",
            ),
            target=("Store manager",),
        ),
        Idea(
            _v(
                "La visite du magasin en 20 points",
                [
                    "Une **fiche de visite** : issues, réserve, caisses, vestiaire...",
                    "Le nouveau coche chaque point avec son parrain",
                    "La fiche signée va dans son dossier",
                ],
                "plus personne ne cherche l'extincteur au bout d'un mois.",
                "visite intégration",
            ),
            _v(
                "The store tour in 20 points",
                [
                    "A **tour sheet**: exits, stockroom, tills, locker room...",
                    "The newcomer ticks each point with their buddy",
                    "The signed sheet goes in their file",
                ],
                "nobody is still looking for the extinguisher after a month.",
                "tour onboarding",
            ),
        ),
        Idea(
            _v(
                "Première semaine : une compétence par jour",
                [
                    "Lundi l'accueil, mardi la caisse, mercredi la réserve...",
                    "**Observer le matin, faire l'après-midi**",
                    "Le vendredi, le nouveau explique ce qu'il a appris",
                ],
                "le nouveau est autonome en caisse dès la deuxième semaine.",
                "formation première-semaine",
            ),
            _v(
                "First week: one skill a day",
                [
                    "Monday greeting, Tuesday the till, Wednesday the stockroom...",
                    "**Watch in the morning, do it in the afternoon**",
                    "On Friday, the newcomer explains what they learned",
                ],
                "newcomers run a till on their own from week two.",
                "training first-week",
            ),
        ),
        Idea(
            _v(
                "Le lexique maison",
                [
                    "Une page avec les **sigles et mots internes** (PLV, facing, démarque...)",
                    "Remise le premier jour, affichée en réserve",
                    "Chaque nouveau ajoute le mot qui l'a surpris",
                ],
                "les nouveaux comprennent les briefs dès le début.",
                "lexique intégration",
            ),
            _v(
                "The in-house glossary",
                [
                    "One page of **acronyms and internal words** (POS, facing, shrinkage...)",
                    "Handed over on day one, pinned in the stockroom",
                    "Each newcomer adds the word that surprised them",
                ],
                "newcomers follow briefings from the start.",
                "glossary onboarding",
            ),
        ),
        Idea(
            _v(
                "Accueillir les saisonniers en groupe",
                [
                    "Une **demi-journée commune** avant le premier jour de travail",
                    "Consignes de sécurité et de caisse pour tous",
                    "Chacun repart avec son planning et son badge",
                ],
                "les renforts d'été sont opérationnels dès le premier jour.",
                "saisonniers été",
            ),
            _v(
                "Welcome seasonal staff as a group",
                [
                    "One **shared half-day** before the first working day",
                    "Safety and till instructions for everyone",
                    "Everyone leaves with their rota and badge",
                ],
                "summer reinforcements are up and running on day one.",
                "seasonal summer",
            ),
            countries=("FR", "ES", "IT", "PT"),
        ),
        Idea(
            _v(
                "Le rapport d'étonnement à un mois",
                [
                    "Le nouveau note **trois choses** qui l'ont surpris",
                    "Et une idée d'amélioration",
                    "On en discute en réunion d'équipe",
                ],
                "plusieurs idées de nouveaux sont devenues des pratiques du magasin.",
                "étonnement idées",
            ),
            _v(
                "The one-month fresh-eyes report",
                [
                    "The newcomer writes down **three things** that surprised them",
                    "And one improvement idea",
                    "We discuss it at the team meeting",
                ],
                "several newcomers' ideas became store practices.",
                "fresh-eyes ideas",
            ),
        ),
        Idea(
            _v(
                "Les codes et accès prêts le premier jour",
                [
                    "Compte caisse, badge, casier : demandés **une semaine avant**",
                    "Une enveloppe d'accueil avec tout dedans",
                    "Le responsable vérifie la veille",
                ],
                "plus de premier jour passé à attendre un mot de passe.",
                "accès premier-jour",
            ),
            _v(
                "Codes and access ready on day one",
                [
                    "Till account, badge, locker: requested **a week ahead**",
                    "A welcome envelope with everything inside",
                    "The manager checks the day before",
                ],
                "no more first days spent waiting for a password.",
                "access first-day",
            ),
            target=("Store manager",),
        ),
        Idea(
            _v(
                "Former à la caisse sur un terminal d'entraînement",
                [
                    "Un **mode formation** sur une caisse, le matin avant l'ouverture",
                    "Scénarios : retour, paiement fractionné, carte refusée",
                    "Le formé passe en réel quand il réussit les trois",
                ],
                "moins d'erreurs de caisse le premier mois.",
                "caisse formation",
            ),
            _v(
                "Till training on a practice terminal",
                [
                    "A **training mode** on one till, in the morning before opening",
                    "Scenarios: return, split payment, declined card",
                    "The trainee goes live once they pass all three",
                ],
                "fewer till errors in the first month.",
                "checkout training",
            ),
            target=("Cashier",),
        ),
    ],
    "Fidélisation": [
        Idea(
            _v(
                "Proposer la carte de fidélité en une phrase",
                [
                    "« Vous avez la carte ? Elle vous aurait fait **5 € aujourd'hui**. »",
                    "Inscription en 30 secondes avec le numéro de téléphone",
                    "Le reste se complète par mail",
                ],
                "les inscriptions ont doublé sans rallonger le passage en caisse.",
                "carte-fidélité caisse",
            ),
            _v(
                "Offer the loyalty card in one sentence",
                [
                    '"Do you have our card? It would have saved you **€5 today**."',
                    "Sign-up in 30 seconds with a phone number",
                    "The rest is completed by email",
                ],
                "sign-ups doubled without slowing the till.",
                "loyalty-card checkout",
            ),
            target=("Cashier",),
        ),
        Idea(
            _v(
                "Rappeler le client quand son produit arrive",
                [
                    "Noter nom et téléphone sur le **carnet de commandes**",
                    "Appeler dès la réception, pas un SMS automatique",
                    "Mettre le produit de côté trois jours",
                ],
                "les clients commandent à nouveau chez nous plutôt qu'en ligne.",
                "commande rappel",
            ),
            _v(
                "Call customers back when their item arrives",
                [
                    "Note it in the **order book**",
                    "Call as soon as it arrives, not an automatic text",
                    "Keep the item aside for three days",
                ],
                "customers order from us again instead of online.",
                "orders callback",
            ),
        ),
        Idea(
            _v(
                "Un atelier client le samedi matin",
                [
                    "Une **démonstration gratuite** d'une heure par mois",
                    "Inscription en magasin, dix places",
                    "Une remise réservée aux participants",
                ],
                "les participants deviennent des habitués.",
                "atelier événement",
            ),
            _v(
                "A Saturday morning customer workshop",
                [
                    "One **free demo** of an hour each month",
                    "Sign-up in store, ten places",
                    "A discount for participants only",
                ],
                "participants become regulars.",
                "workshop event",
            ),
        ),
        Idea(
            _v(
                "Se souvenir des habitués",
                [
                    "Appeler les habitués **par leur nom** quand ils le souhaitent",
                    "Noter (avec leur accord) leurs préférences dans la fiche fidélité",
                    "Les prévenir des arrivages qui les intéressent",
                ],
                "les habitués viennent plus souvent et en parlent autour d'eux.",
                "habitués relation",
            ),
            _v(
                "Remember your regulars",
                [
                    "Call regulars **by name** when they like it",
                    "Note (with their consent) their preferences in the loyalty record",
                    "Let them know about new arrivals they care about",
                ],
                "regulars come more often and tell their friends.",
                "regulars relationship",
            ),
        ),
        Idea(
            _v(
                "Répondre à chaque avis en ligne sous 48 h",
                [
                    "Le responsable lit les avis **chaque matin**",
                    "Remercier pour les avis positifs, avec un détail précis",
                    "Pour les négatifs : s'excuser et inviter à revenir en parler",
                ],
                "la note du magasin est passée de 3,9 à 4,4.",
                "avis réputation",
            ),
            _v(
                "Answer every online review within 48 hours",
                [
                    "The manager reads reviews **every morning**",
                    "Thank positive reviewers, with a specific detail",
                    "For negative ones: apologise and invite them back to talk",
                ],
                "the store's rating went from 3.9 to 4.4.",
                "reviews reputation",
            ),
            target=("Store manager",),
        ),
        Idea(
            _v(
                "Le geste commercial sans attendre",
                [
                    "Chaque vendeur peut accorder **jusqu'à 10 €** sans validation",
                    "On note le geste et la raison",
                    "On en parle en réunion pour repérer les causes",
                ],
                "les litiges se règlent sur place et les clients reviennent.",
                "geste-commercial autonomie",
            ),
            _v(
                "Goodwill gestures without waiting",
                [
                    "Every associate can grant **up to €10** without approval",
                    "Note the gesture and the reason",
                    "Discuss it at the meeting to spot the causes",
                ],
                "disputes are settled on the spot and customers return.",
                "goodwill autonomy",
            ),
        ),
        Idea(
            _v(
                "Le suivi des clients professionnels après la première commande",
                [
                    "Appel **à J+7** : tout est arrivé, tout convient ?",
                    "Visite à un mois avec les nouveautés",
                    "Un interlocuteur unique, toujours le même",
                ],
                "presque tous les nouveaux comptes pros recommandent dans le trimestre.",
                "b2b suivi",
            ),
            _v(
                "Following up business customers after their first order",
                [
                    "A call **on day seven**: did everything arrive, is it all right?",
                    "A visit after a month with new products",
                    "One contact person, always the same",
                ],
                "almost every new business account reorders within the quarter.",
                "b2b follow-up",
            ),
            target=("Regional sales rep",),
        ),
        Idea(
            _v(
                "Le petit mot dans le sac",
                [
                    "Une **carte manuscrite** pour les achats importants",
                    "Le prénom du vendeur et un conseil d'utilisation",
                    "Une invitation à revenir pour un réglage gratuit",
                ],
                "beaucoup de clients reviennent avec la carte.",
                "remerciement carte",
            ),
            _v(
                "A note in the bag",
                [
                    "A **handwritten card** for larger purchases",
                    "The associate's first name and a usage tip",
                    "An invitation to come back for a free adjustment",
                ],
                "many customers come back with the card.",
                "thank-you card",
            ),
        ),
    ],
}

# Comments and replies the demo members leave, by language.
COMMENTS = {
    "fr": [
        "On l'a testé cette semaine au magasin, ça marche très bien.",
        "Bonne idée ! Vous le faites aussi le dimanche ?",
        "Chez nous on a ajouté une étape : un point rapide le soir.",
        "Adopté par toute l'équipe, merci pour le partage.",
        "Est-ce que ça prend beaucoup de temps au début ?",
        "Simple et efficace, exactement ce qu'il nous fallait.",
        "On avait essayé sans la liste, c'était moins bien. Merci !",
        "Je l'ai présenté au brief ce matin, tout le monde était partant.",
    ],
    "en": [
        "We tried it this week in our store, it works really well.",
        "Great idea! Do you do it on Sundays as well?",
        "We added a step: a quick check-in in the evening.",
        "Adopted by the whole team, thanks for sharing.",
        "Does it take a lot of time at first?",
        "Simple and effective, just what we needed.",
        "We had tried it without the list, it wasn't as good. Thanks!",
        "I presented it at this morning's briefing, everyone was on board.",
    ],
}
REPLIES = {
    "fr": [
        "Oui, depuis un mois, même le week-end.",
        "Au début un peu, puis ça devient un réflexe.",
        "Merci ! N'hésitez pas à partager vos résultats.",
        "Bonne idée, on va l'ajouter aussi.",
    ],
    "en": [
        "Yes, for a month now, weekends included.",
        "A bit at first, then it becomes a habit.",
        "Thanks! Do share your results.",
        "Good idea, we'll add it too.",
    ],
}

# How a body opens and how it lists the steps, varied per practice.
INTROS = {
    "fr": [
        "Testé pendant un mois dans notre magasin.",
        "Une astuce qui a fait ses preuves chez nous.",
        "Simple à mettre en place, même un samedi chargé.",
        "Idée venue de l'équipe, adoptée par tout le magasin.",
        "Nous l'appliquons depuis le début de la saison.",
    ],
    "en": [
        "Tried for a month in our store.",
        "A tip that has proved itself with us.",
        "Easy to set up, even on a busy Saturday.",
        "An idea from the team, now used by the whole store.",
        "We have been doing this since the start of the season.",
    ],
}
LEADS = {
    "fr": ["Comment faire :", "En pratique :", "Les étapes :"],
    "en": ["How to do it:", "In practice:", "The steps:"],
}
RESULT_LABEL = {"fr": "Résultat :", "en": "Result:"}
