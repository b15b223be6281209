# Hand-written self-care messages: (text, level, note)
L = "self_care"
SELFCARE = [
    ("tengo mocos y estornudos desde ayer, sin fiebre, algo pa q se me quite?", L, "Common cold, self-care + pharmacist (NICE CKS)"),
    ("me duele la garganta un poco, 2 dias, puedo tragar bien y no tengo fiebre", L, "Mild sore throat, FeverPAIN low, self-care (NICE NG84)"),
    ("me quemé el dedo con la plancha, se puso rojo pero no hizo ampolla", L, "Superficial minor burn, cool water, self-care (NHS burns)"),
    ("tengo una picadura de mosquito q se hincho un poco y pica, nada mas", L, "Local insect bite reaction, self-care (NHS)"),
    ("mi nena de 5 tiene piojos, q hago", L, "Head lice, wet combing/pharmacy (NHS)"),
    ("Ando con diarrea desde esta mañana, creo q fue el taco de la calle, tomo agua bien, no hay sangre ni fiebre", L, "Mild gastroenteritis without red flags, oral fluids (NHS/CDC)"),
    ("me salio un fuego en el labio, me pasa cada vez q me estreso", L, "Recurrent cold sore, pharmacy antiviral cream (NICE CKS)"),
    ("estoy estreñido hace 3 dias, sin dolor fuerte ni nada raro", L, "Short-term constipation, fluids/fibre, pharmacist (NICE CKS)"),
    ("tengo pie de atleta, pica entre los dedos y se pela", L, "Tinea pedis, OTC antifungal (NICE CKS)"),
    ("me torcí el tobillo bajando la escalera, está un poco hinchado pero camino normal y no me duele el hueso al apretar", L, "Ottawa negative ankle sprain, RICE self-care (Ottawa ankle rules)"),
    ("tengo resaca, me duele la cabeza y tengo el estomago revuelto jaja", L, "Hangover, fluids/rest, self-care (NHS)"),
    ("se me irritó la piel con un jabón nuevo, está rojita y reseca en las manos, nada más", L, "Mild irritant contact dermatitis, emollients (NICE CKS)"),
    ("mi bebe de 8 meses le estan saliendo los dientes, babea mucho y esta molesto, sin fiebre", L, "Teething, self-care (NHS)"),
    ("no tengo fiebre ni me falta el aire, solo un poco de tos seca desde hace 4 dias", L, "Acute cough without red flags; negations respected, self-care (NICE NG120)"),
    ("me dio un sunburn en la espalda en la playa, arde pero sin ampollas", L, "Mild sunburn, self-care (NHS)"),
    ("pana tengo los ojos rojos y me pican con lagañas, como conjuntivitis, veo bien y no me duele", L, "Infective conjunctivitis without red flags, pharmacy (NICE CKS)"),
    ("me duele la cabeza un poco desde la tarde, creo q de no dormir bien, ya me tome agua", L, "Tension-type headache without red flags, self-care (NICE CG150)"),
    ("tengo una ampolla en el talon de los tenis nuevos", L, "Friction blister, self-care (NHS)"),
    ("Mi abuelo tiene caspa y la cabeza le pica, qué champú le compro?", L, "Seborrhoeic dermatitis/dandruff, OTC shampoo (NICE CKS)"),
    ("me mareo en el carro cuando viajo, vamos a ir en guagua a la playa el sabado", L, "Motion sickness, pharmacy advice (NHS/CDC travel)"),
]
