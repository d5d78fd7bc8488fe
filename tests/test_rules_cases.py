"""What `indicators.rules.v1` must find, and must not, in Spanish and Portuguese ads.

Three tables, written by us (not copied from the seed corpus) the way such ads are worded
in Latin America and Brazil:

- FIRES: per indicator and language, phrases that must fire, with a piece of text the
  evidence must contain; with missing accents, ALL CAPS, abbreviations, emojis and
  numbers in words;
- QUIET: per indicator and language, negated or reassuring phrasings that must not fire;
- ORDINARY: everyday ads that may show a weak or medium indicator but must stay `low`.
"""

from __future__ import annotations

import re

import pytest

from corpora.normalize import fold_text
from corpora.records import Ad

FIRES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "PAY_UNREALISTIC": {
        "es": [
            ("Gana hasta 3.000 dólares al mes atendiendo clientes", "Gana hasta 3.000 dólares"),
            ("GANANCIAS GARANTIZADAS desde la primera semana", "GANANCIAS GARANTIZADAS"),
            ("Pago en dolares, trabajo sencillo en bodega", "Pago en dolares"),
            ("ganarás 800 euros por semana 💶 sin complicaciones", "800 euros por semana"),
            ("Te pagamos dos mil dólares al mes por hacer limpieza", "dos mil dólares al mes"),
            ("dinero facil y rapido, escribe ya", "dinero facil"),
            ("Gana 1500 usd semanales repartiendo volantes", "1500 usd semanales"),
            ("Meseras: sueldo de 4 mil dolares mensuales", "4 mil dolares mensuales"),
        ],
        "pt": [
            ("Ganhe até R$ 15.000 por mês trabalhando de casa", "Ganhe até R$ 15.000"),
            ("Salário em euros + gorjetas", "Salário em euros"),
            ("GANHOS GARANTIDOS desde a primeira semana", "GANHOS GARANTIDOS"),
            ("ganhe mais de dez mil reais por mes", "ganhe mais de dez mil reais"),
            ("dinheiro facil e rapido, chama", "dinheiro facil"),
            ("500 dolares por semana limpando casas", "500 dolares por semana"),
            ("Renda de R$ 20 mil por mês sem sair de casa", "R$ 20 mil por mês"),
            ("GANHE 3 MIL DÓLARES POR MÊS no exterior", "GANHE 3 MIL DÓLARES"),
        ],
    },
    "NO_REQUIREMENTS": {
        "es": [
            ("No se requiere experiencia, te capacitamos", "No se requiere experiencia"),
            ("NO NECESITAS EXPERIENCIA NI ESTUDIOS", "NO NECESITAS EXPERIENCIA"),
            ("Solo ganas de trabajar 💪", "Solo ganas de trabajar"),
            ("sin exp. te enseñamos todo", "sin exp"),
            ("No pedimos estudios ni experiencia", "No pedimos estudios"),
            ("Requisitos: ninguno", "Requisitos: ninguno"),
            ("no hace falta experiencia previa", "no hace falta experiencia"),
            ("no es necesario tener experiencia", "no es necesario tener experiencia"),
        ],
        "pt": [
            ("Não precisa de experiência, a gente ensina", "Não precisa de experiência"),
            ("NAO EXIGIMOS EXPERIENCIA", "NAO EXIGIMOS EXPERIENCIA"),
            ("só precisa ter vontade de trabalhar", "vontade de trabalhar"),
            ("sem exp, treinamos vc", "sem exp"),
            ("Não é necessário ter estudo", "Não é necessário ter estudo"),
            ("não pedimos currículo nem experiência", "não pedimos currículo"),
            ("Sem experiência? Sem problema!", "Sem experiência"),
        ],
    },
    "TRAVEL_PAID": {
        "es": [
            ("pasaje pagado hasta Monterrey", "pasaje pagado"),
            ("Nosotros pagamos tu pasaje de avión", "pagamos tu pasaje"),
            ("PASAJES AEREOS INCLUIDOS", "PASAJES AEREOS INCLUIDOS"),
            ("te adelantamos el boleto de avión", "adelantamos el boleto"),
            ("el viaje corre por cuenta de la empresa", "viaje corre por cuenta de la empresa"),
            ("Te mandamos el pasaje x whats", "mandamos el pasaje"),
            ("vuelo ida y vuelta pagado por el empleador", "vuelo ida y vuelta pagado"),
            ("Los boletos los pone el patrón", "boletos los pone el patrón"),
        ],
        "pt": [
            ("passagem paga pela empresa", "passagem paga"),
            ("Pagamos sua passagem de ônibus", "Pagamos sua passagem"),
            ("PASSAGEM AEREA INCLUSA", "PASSAGEM AEREA INCLUSA"),
            ("a gente banca a viagem todinha", "banca a viagem"),
            ("Passagem por conta da empresa", "Passagem por conta da empresa"),
            ("mandamos a passagem pra vc", "mandamos a passagem"),
            ("a passagem nós compramos", "passagem nós compramos"),
        ],
    },
    "ABROAD_VAGUE": {
        "es": [
            ("Trabajo en Europa para meseras", "Trabajo en Europa"),
            ("trabaja en el extranjero ganando bien", "trabaja en el extranjero"),
            ("EMPLEOS EN EL EXTERIOR", "EMPLEOS EN EL EXTERIOR"),
            ("vacantes fuera del pais", "fuera del pais"),
            ("chamba en un país europeo", "un país europeo"),
            ("Oportunidad de trabajar en Asia", "trabajar en Asia"),
            ("todavía no puedo decir el nombre de la empresa",
             "no puedo decir el nombre de la empresa"),
        ],
        "pt": [
            ("Vagas na Europa para garçons", "Vagas na Europa"),
            ("trabalhar no exterior ganhando em euro", "trabalhar no exterior"),
            ("TRABALHO FORA DO PAIS", "FORA DO PAIS"),
            ("emprego lá fora com tudo pago", "emprego lá fora"),
            ("oportunidade em um país europeu", "um país europeu"),
            ("trampo na Ásia", "trampo na Ásia"),
            ("ainda não posso falar o nome da empresa", "não posso falar o nome da empresa"),
        ],
    },
    "FEE_OR_DEBT": {
        "es": [
            ("Cuota de inscripción: $500", "Cuota de inscripción"),
            ("el pasaje se descuenta de tu primer sueldo", "se descuenta de tu primer sueldo"),
            ("DEPOSITA UN ANTICIPO para apartar tu lugar", "DEPOSITA UN ANTICIPO"),
            ("pago por tramite de visa $1,200", "pago por tramite de visa"),
            ("la deuda del viaje la pagas con tu trabajo", "pagas con tu trabajo"),
            ("te lo descontamos de la quincena", "descontamos de la quincena"),
            ("costo del curso de capacitación: 150 dólares", "costo del curso"),
            ("hay que pagar el examen médico antes de viajar", "pagar el examen médico"),
        ],
        "pt": [
            ("Taxa de inscrição de R$ 300", "Taxa de inscrição"),
            ("o valor da passagem é descontado do salário", "descontado do salário"),
            ("faça um pix de R$ 150 para garantir a vaga", "faça um pix"),
            ("PAGAMENTO DO CURSO OBRIGATORIO", "PAGAMENTO DO CURSO"),
            ("vc paga a dívida com o seu trabalho", "paga a dívida com o seu trabalho"),
            ("desconta no primeiro pagamento", "desconta no primeiro pagamento"),
            ("custo do visto: 2 mil reais", "custo do visto"),
        ],
    },
    "DOCS_HANDLED": {
        "es": [
            ("Nosotros tramitamos tu pasaporte y visa", "tramitamos tu pasaporte"),
            ("Tu pasaporte lo guardamos en la oficina", "pasaporte lo guardamos"),
            ("al llegar entregas tu pasaporte al encargado", "entregas tu pasaporte"),
            ("NO NECESITAS PAPELES", "NO NECESITAS PAPELES"),
            ("sin papeles, nosotros te arreglamos todo", "sin papeles"),
            ("te conseguimos la visa de trabajo", "conseguimos la visa"),
            ("nos encargamos de los papeles", "nos encargamos de los papeles"),
            ("la agencia se queda con tus documentos", "se queda con tus documentos"),
        ],
        "pt": [
            ("A gente tira o seu passaporte", "tira o seu passaporte"),
            ("o passaporte fica com a empresa até o fim do contrato",
             "passaporte fica com a empresa"),
            ("Não precisa de documentos", "Não precisa de documentos"),
            ("NOS PROVIDENCIAMOS O VISTO", "PROVIDENCIAMOS O VISTO"),
            ("a gente resolve a documentação", "resolve a documentação"),
            ("sem documento, sem problema", "sem documento"),
            ("vc entrega o RG e a carteira de trabalho pro gerente", "entrega o RG"),
        ],
    },
    "APPEARANCE_REQ": {
        "es": [
            ("Requisito: buena presencia", "buena presencia"),
            ("señoritas de 18 a 25 años", "señoritas de 18 a 25 años"),
            ("SRTAS DE 18 A 28 AÑOS", "SRTAS DE 18 A 28 AÑOS"),
            ("manda tus fotos de cuerpo completo por whats", "manda tus fotos"),
            ("chicas entre dieciocho y veinticinco años",
             "chicas entre dieciocho y veinticinco años"),
            ("delgadas y de buena figura", "buena figura"),
            ("enviar foto en bikini", "foto en bikini"),
            ("buscamos chicas bonitas y delgadas", "bonitas y delgadas"),
            ("Requisito: ser atractiva y simpática con los clientes", "atractiva"),
        ],
        "pt": [
            ("Exige-se boa aparência", "boa aparência"),
            ("MOÇAS DE 18 A 25 ANOS", "MOÇAS DE 18 A 25 ANOS"),
            ("moças de dezoito a vinte anos", "moças de dezoito a vinte anos"),
            ("mande fotos de corpo inteiro", "mande fotos"),
            ("Enviar foto de biquíni", "foto de biquíni"),
            ("procuramos meninas magras e bonitas", "magras e bonitas"),
            ("Boa aparencia e simpatia", "Boa aparencia"),
        ],
    },
    "MINOR_TARGET": {
        "es": [
            ("aceptamos chicas desde 15 años", "desde 15 años"),
            ("MENORES DE EDAD BIENVENIDOS", "MENORES DE EDAD BIENVENIDOS"),
            ("jóvenes de 14 a 17 años", "de 14 a 17 años"),
            ("desde los dieciséis años", "desde los dieciséis años"),
            ("no importa si eres menor de edad", "eres menor de edad"),
            ("chavitas de 15 o 16", "de 15 o 16"),
            ("Si tenés 16 también podés aplicar", "tenés 16"),
            ("ACEPTAMOS MENORES", "ACEPTAMOS MENORES"),
        ],
        "pt": [
            ("a partir de 15 anos", "a partir de 15 anos"),
            ("meninas de 14 a 17 anos", "de 14 a 17 anos"),
            ("ACEITAMOS MENORES DE IDADE", "ACEITAMOS MENORES"),
            ("pode ser de menor", "pode ser de menor"),
            ("novinhas a partir dos dezesseis anos", "a partir dos dezesseis anos"),
            ("Se vc tem 15 anos pode vir", "tem 15 anos"),
            ("garotos de 16 e 17 anos", "de 16 e 17 anos"),
        ],
    },
    "HOSTESS_MODELING": {
        "es": [
            ("Se buscan modelos webcam", "modelos webcam"),
            ("DAMAS DE COMPAÑIA", "DAMAS DE COMPAÑIA"),
            ("bailarinas para club nocturno", "bailarinas"),
            ("edecanes para eventos privados", "edecanes"),
            ("chicas para atender caballeros", "atender caballeros"),
            ("masajistas para spa VIP", "masajistas"),
            ("acompañantes para ejecutivos", "acompañantes"),
            ("servicio de acompañamiento a caballeros en cenas privadas", "acompañamiento"),
            ("trabajo como anfitriona en bar", "anfitriona"),
        ],
        "pt": [
            ("Procuro modelos para webcam", "modelos para webcam"),
            ("DANÇARINAS para casa noturna", "DANÇARINAS"),
            ("acompanhantes de luxo", "acompanhantes"),
            ("massagistas, com ou sem curso", "massagistas"),
            ("garotas de programa", "garotas de programa"),
            ("fazer companhia a empresários", "fazer companhia"),
            ("vagas para hostess", "hostess"),
        ],
    },
    "URGENCY": {
        "es": [
            ("Salida inmediata", "Salida inmediata"),
            ("¡URGENTE! se necesitan meseras", "URGENTE"),
            ("pocos cupos disponibles", "pocos cupos"),
            ("quedan solo 3 lugares", "quedan solo 3 lugares"),
            ("decide hoy, salimos mañana", "decide hoy"),
            ("viajamos este fin de semana", "viajamos este fin de semana"),
            ("ultimos lugares", "ultimos lugares"),
            ("incorporacion inmediata", "incorporacion inmediata"),
        ],
        "pt": [
            ("Início imediato", "Início imediato"),
            ("VAGA URGENTE", "URGENTE"),
            ("últimas vagas!!", "últimas vagas"),
            ("embarque amanhã cedo", "embarque amanhã"),
            ("restam só 2 vagas", "restam só 2 vagas"),
            ("pra começar hoje mesmo", "começar hoje"),
            ("contratação imediata", "contratação imediata"),
        ],
    },
    "CONTACT_INFORMAL": {
        "es": [
            ("Info solo por WhatsApp", "solo por WhatsApp"),
            ("escribe al whats 55 5550 0101", "escribe al whats"),
            ("Mándame DM para más info", "Mándame DM"),
            ("interesadas mandar msj al privado", "msj al privado"),
            ("INFO X INBOX", "INFO X INBOX"),
            ("contacto por telegram @empleos_ya", "contacto por telegram"),
            ("escríbeme al wsp", "escríbeme al wsp"),
            ("solo mensajes al 5550-0199", "solo mensajes"),
            ("escribe al whats 55 5550 0101, fotos del lugar en facebook.com/empleos.ya",
             "escribe al whats"),
        ],
        "pt": [
            ("Chama no zap", "Chama no zap"),
            ("só pelo whats", "só pelo whats"),
            ("me chama no privado", "chama no privado"),
            ("INFO NO PV", "INFO NO PV"),
            ("chamar no telegram @vagas_ja", "chamar no telegram"),
            ("manda msg no direct", "msg no direct"),
            ("fala comigo no wpp", "fala comigo no wpp"),
            ("chama no zap, veja as vagas em https://instagram.com/vagas.ja", "chama no zap"),
        ],
    },
    "HOUSING_CONTROL": {
        "es": [
            ("hospedaje y comida incluidos", "hospedaje y comida incluidos"),
            ("trabajo de planta, cama adentro", "cama adentro"),
            ("Te damos cuarto y comida", "damos cuarto y comida"),
            ("ALOJAMIENTO GRATIS", "ALOJAMIENTO GRATIS"),
            ("tienes que vivir en la finca", "vivir en la finca"),
            ("Busco muchacha de planta para casa", "muchacha de planta"),
            ("alojamiento en el campamento minero", "alojamiento en el campamento"),
            ("comida y techo asegurados", "comida y techo"),
        ],
        "pt": [
            ("alojamento e alimentação inclusos", "alojamento e alimentação inclusos"),
            ("precisa dormir no emprego", "dormir no emprego"),
            ("oferecemos moradia", "oferecemos moradia"),
            ("CASA E COMIDA", "CASA E COMIDA"),
            ("tem alojamento na fazenda", "alojamento na fazenda"),
            ("vai morar na casa da família", "morar na casa"),
            ("hospedagem grátis", "hospedagem grátis"),
        ],
    },
    "SECRECY": {
        "es": [
            ("Discreción absoluta", "Discreción absoluta"),
            ("no le cuentes a tu familia", "no le cuentes a tu familia"),
            ("que quede entre nosotros", "que quede entre nosotros"),
            ("NO LE DIGAS A NADIE", "NO LE DIGAS A NADIE"),
            ("sin que tu familia se entere", "sin que tu familia se entere"),
            ("mucha discreción por favor", "mucha discreción"),
            ("borra este mensaje", "borra este mensaje"),
            ("es algo confidencial, no se lo comentes a nadie", "no se lo comentes a nadie"),
        ],
        "pt": [
            ("sigilo absoluto", "sigilo absoluto"),
            ("não conta pra ninguém", "não conta pra ninguém"),
            ("sua família não precisa saber", "família não precisa saber"),
            ("TOTAL DISCRIÇÃO", "TOTAL DISCRIÇÃO"),
            ("isso fica entre nós", "fica entre nós"),
            ("apaga essa mensagem depois de ler", "apaga essa mensagem"),
            ("nao comenta com ninguem", "nao comenta com ninguem"),
        ],
    },
    "IRREGULAR_MIGRATION": {
        "es": [
            ("cruce seguro a Estados Unidos", "cruce seguro"),
            ("pasamos sin visa", "pasamos sin visa"),
            ("coyote de confianza", "coyote de confianza"),
            ("viaje por tierra hasta la frontera", "por tierra hasta la frontera"),
            ("SIN PASAR POR MIGRACION", "SIN PASAR POR MIGRACION"),
            ("te brincamos al otro lado", "brincamos al otro lado"),
            ("entrada sin visa garantizada", "entrada sin visa"),
            ("hay que cruzar el río de noche", "cruzar el río"),
        ],
        "pt": [
            ("travessia segura", "travessia segura"),
            ("entrar nos EUA sem visto", "entrar nos EUA sem visto"),
            ("coiote de confiança", "coiote"),
            ("a gente atravessa vocês pela fronteira", "pela fronteira"),
            ("sem passar pela imigração", "sem passar pela imigração"),
            ("é só ir de turista e ficar por lá", "ir de turista"),
            ("dá pra viajar sem visto", "viajar sem visto"),
        ],
    },
}

QUIET: dict[str, dict[str, list[str]]] = {
    "PAY_UNREALISTIC": {
        "es": ["No prometemos ganancias garantizadas: el pago es por comisión",
               "Aquí no hay dinero fácil: es trabajo duro",
               "Sueldo base de $9,500 mensuales más prestaciones de ley"],
        "pt": ["Não prometemos ganhos garantidos nem dinheiro fácil",
               "Salário de R$ 2.300 + VR + VT + plano de saúde"],
    },
    "NO_REQUIREMENTS": {
        "es": ["Indispensable experiencia mínima de 2 años en cocina",
               "No aceptamos personas sin experiencia",
               "Se requiere experiencia comprobable y bachillerato terminado"],
        "pt": ["Exigimos experiência mínima de 1 ano comprovada em carteira",
               "Não aceitamos candidatos sem experiência"],
    },
    "TRAVEL_PAID": {
        "es": ["No pagamos pasajes ni traslados",
               "El pasaje corre por cuenta del trabajador",
               "El costo del pasaje no está incluido",
               # a daily shuttle, business expenses and a travel agent's task
               "Transporte incluido desde el centro hasta la planta, turno de mañana",
               "Traslado gratuito desde el metro hasta la planta",
               "Buscamos asistente: manejo de agenda, compra de pasajes y reservas de hotel",
               "Vendedor con coche, teléfono y gastos a cargo de la empresa"],
        "pt": ["Não pagamos passagem nem hospedagem",
               "A passagem é por conta do candidato",
               "Passagem não inclusa",
               "Colaborar na gestão da mudança cultural da empresa",
               "Estimular nos alunos a busca de novos conhecimentos"],
    },
    "ABROAD_VAGUE": {
        "es": ["No ofrecemos trabajo en el extranjero",
               "Nunca te mandaremos a trabajar fuera del país sin contrato"],
        "pt": ["Não oferecemos vagas no exterior",
               "nunca mandamos ninguém trabalhar fora do país"],
    },
    "FEE_OR_DEBT": {
        "es": ["No cobramos ninguna cuota de inscripción",
               "Trámite sin costo para el trabajador",
               "El pasaje lo paga el programa y no se descuenta",
               "La capacitación es gratuita y no se descuenta nada del sueldo",
               "Nunca pedimos depósitos ni anticipos",
               # statutory deductions, a welcome gift, an administrative office
               "Los impuestos se descuentan del salario según la ley",
               "Las cotizaciones a la Seguridad Social se descuentan cada mes",
               "Beneficios: kit de bienvenida y descuentos para empleados",
               "Gestoría de Zaragoza busca administrativo contable"],
        "pt": ["Não cobramos taxa de nenhum tipo",
               "Nada é descontado do seu salário",
               "não há taxa de inscrição nem desconto posterior",
               "Plano odontológico opcional com valor descontado em folha",
               "INSS e vale-transporte descontados do salário conforme a lei"],
    },
    "DOCS_HANDLED": {
        "es": ["Nunca pedimos tu pasaporte",
               "Nunca retenemos tu pasaporte ni tus documentos",
               "El trámite de la visa lo hace cada trabajador en el consulado",
               "Tus documentos siempre se quedan contigo",
               "Te damos la documentación necesaria para tu alta",
               "Auxiliar de RRHH: recolectar documentación del personal nuevo"],
        "pt": ["Não retemos documentos",
               "Escritório contábil: cuidamos da documentação dos nossos clientes",
               "Seus documentos ficam sempre com você",
               "a empresa nunca fica com o seu passaporte"],
    },
    "APPEARANCE_REQ": {
        "es": ["No pedimos fotos para la postulación",
               "Sin requisitos de edad ni de buena presencia",
               "Ofrecemos remuneración atractiva y comisiones por venta",
               "Atractivas comisiones para asesores con cartera propia"],
        "pt": ["Não pedimos fotos para a vaga",
               "Sem exigência de boa aparência",
               "Envie fotos do produto para o catálogo da loja"],
    },
    "MINOR_TARGET": {
        "es": ["No se aceptan menores de edad",
               "Solo mayores de 18 años",
               "Niñera para cuidar a dos menores de 5 y 8 años"],
        "pt": ["Não aceitamos menores de idade",
               "Somente maiores de 18 anos",
               "Babá para cuidar de duas crianças de 3 e 6 anos"],
    },
    "HOSTESS_MODELING": {
        "es": ["No es trabajo de modelaje ni de acompañante",
               "Conocimiento del modelo de negocio y del modelo de atención al cliente",
               # support and mentoring
               "Formación continua y acompañamiento técnico en tu desarrollo profesional"],
        "pt": ["Não é vaga de modelo nem de acompanhante",
               "Conhecimento do modelo de gestão da empresa",
               # staff benefits, business models, a baby's health
               "Benefícios: massagem relaxante no posto de trabalho e cadeira de massagem",
               "Desenvolver novos modelos de negócio para a empresa",
               "Apoio à saúde da mamãe e do bebê com enfermeiros"],
    },
    "URGENCY": {
        "es": ["No es urgente, puedes postular hasta fin de mes",
               "No hay salida inmediata: primero firmas contrato"],
        "pt": ["Não é urgente, pode se inscrever até o fim do mês",
               "Sem urgência: o processo leva três semanas",
               "Senso de urgência e foco em resultados",
               "O processo seletivo começa na inscrição",
               "Vamos iniciar esta jornada juntos"],
    },
    "CONTACT_INFORMAL": {
        "es": ["Envía tu CV a rrhh@empresa.example o visita www.empresa.example",
               "No atendemos por WhatsApp, solo en la oficina",
               "Informes en nuestras oficinas, Av. Reforma 100",
               "Dudas por WhatsApp al 55 5550 0101; postula en empleos.empresa.example"],
        "pt": ["Envie seu currículo para rh@empresa.example",
               "Não atendemos pelo WhatsApp",
               "Dúvidas pelo WhatsApp (11) 95550-0101; vagas em trabalhe.empresa.example"],
    },
    "HOUSING_CONTROL": {
        "es": ["No ofrecemos hospedaje",
               "Hospedaje no incluido"],
        "pt": ["Não oferecemos alojamento",
               "alojamento não incluso"],
    },
    "SECRECY": {
        "es": ["Te recomendamos que le cuentes a tu familia dónde vas a trabajar",
               "Tus datos se tratan con confidencialidad según la ley"],
        "pt": ["Conte para sua família onde você vai trabalhar",
               "Seus dados são tratados conforme a LGPD",
               # confidentiality the company gives, not asks of the worker
               "Programa de apoio psicológico e jurídico 24 horas, com total sigilo",
               "Garantimos sigilo absoluto das informações dos clientes"],
    },
    "IRREGULAR_MIGRATION": {
        "es": ["No ofrecemos cruces ni pasadas: solo visas legales",
               "Todo el proceso es legal, con visa H-2A que tramita cada trabajador"],
        "pt": ["Não fazemos travessia nem trabalhamos com coiotes",
               "O visto de trabalho é solicitado pelo candidato no consulado"],
    },
}

ORDINARY: list[tuple[str, str]] = [
    ("es", "Clínica dental en Tegucigalpa busca recepcionista. Requisitos: bachillerato, buena "
           "presencia y manejo de agenda. L 11,000 + IHSS. CV a citas@clinica.example"),
    ("es", "Supermercado en Zapopan contrata cajeros(as). Sueldo $9,000 mensuales, "
           "prestaciones de ley, IMSS. Entrevistas en Av. Patria 1200, de lunes a viernes."),
    ("es", "Constructora requiere albañiles y ayudantes con experiencia para obra en Lima. "
           "Pago semanal, seguro SCTR. Presentarse con DNI en la obra, Jr. Ica 450."),
    ("es", "Restaurante en Antigua Guatemala busca mesero con experiencia de 1 año. Salario "
           "base Q3,900 + propinas. Presentarse con papelería completa en 5a Avenida Norte."),
    ("es", "Call center en San Salvador contrata agentes bilingües. Pago en dólares cada "
           "quincena, $700 + bonos, ISSS y AFP. Envía tu CV a talento@callcenter.example"),
    ("es", "Programa de trabajo temporal en Canadá del Ministerio de Trabajo. El pasaje lo paga "
           "el empleador y no se descuenta de tu salario. No cobramos ninguna cuota. "
           "Inscripción en la oficina departamental."),
    ("es", "Se solicita vendedora para tienda de ropa en Medellín, con experiencia en ventas. "
           "Sueldo básico + comisiones. Envía tu hoja de vida por WhatsApp."),
    ("es", "Familia en Providencia busca nana puertas afuera para dos niños, de lunes a viernes, "
           "contrato e imposiciones. Referencias comprobables."),
    ("es", "Empresa de logística contrata chofer con licencia B y 2 años de experiencia. "
           "Horario diurno, sueldo según tabulador, seguro social. www.logistica.example"),
    ("es", "Hospital privado en Quito requiere enfermeras con título registrado en la "
           "SENESCYT. Turnos rotativos, afiliación al IESS. Postula en rrhh@hospital.example"),
    ("es", "Desarrollador Python remoto para startup de Bogotá. Sin costo para el candidato: "
           "proceso de selección en línea con prueba técnica."),
    ("pt", "Hotel em Ouro Preto contrata recepcionista. Pedimos boa aparência, inglês "
           "intermediário e experiência com reservas. Salário R$ 2.000 + VT."),
    ("pt", "Supermercado em Campinas contrata operador de caixa. Carteira assinada, R$ 1.700 + "
           "VR + VT. Entregar currículo na loja da Av. Brasil, 500."),
    ("pt", "Construtora contrata pedreiros e serventes com experiência para obra em Goiânia. "
           "CLT, cesta básica e plano de saúde. Procurar o escritório da obra."),
    ("pt", "Padaria precisa de padeiro para a madrugada, com experiência. Carteira assinada. "
           "Interessados chamar no WhatsApp."),
    ("pt", "Vaga para vendedora com experiência em loja de calçados, salário fixo + comissão. "
           "Envie currículo para vagas@loja.example"),
    ("pt", "Fazenda em Unaí contrata tratorista com CNH categoria C. Registro em carteira, "
           "alojamento para quem vem de fora e refeitório. Nada é descontado do salário."),
    ("pt", "Clínica odontológica em Recife procura auxiliar de saúde bucal com CRO ativo. "
           "Segunda a sexta, 8h às 17h. Currículos para rh@clinica.example"),
    ("pt", "Empresa de tecnologia contrata desenvolvedor Java pleno, trabalho remoto, "
           "salário compatível com o mercado. Não cobramos taxa em nenhuma etapa."),
    ("pt", "Escola particular em Curitiba contrata professora de educação infantil com "
           "pedagogia completa. Início imediato após o processo seletivo."),
    ("pt", "Família em Niterói contrata cuidadora de idosos com curso e referências, folga "
           "aos fins de semana, carteira assinada. Contato: cuidado@example.com"),
]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold_text(text)).strip("-")[:40] or "x"


def _fire_params():
    for indicator, by_lang in FIRES.items():
        for lang, cases in by_lang.items():
            for text, evidence in cases:
                yield pytest.param(indicator, lang, text, evidence,
                                   id=f"{indicator}:{lang}:{_slug(evidence)}")


def _quiet_params():
    for indicator, by_lang in QUIET.items():
        for lang, texts in by_lang.items():
            for text in texts:
                yield pytest.param(indicator, lang, text, id=f"{indicator}:{lang}:{_slug(text)}")


def _hits(detector, lang: str, text: str) -> dict:
    [hits] = detector.detect_hits([Ad(id="case", lang=lang, text=text)])
    return {hit.id: hit for hit in hits}


def test_every_indicator_has_cases_in_both_languages(taxonomy):
    for indicator in taxonomy.ids:
        for lang in ("es", "pt"):
            assert len(FIRES[indicator][lang]) >= 4, (indicator, lang)
            assert len(QUIET[indicator][lang]) >= 2, (indicator, lang)
    assert {lang for lang, _ in ORDINARY} == {"es", "pt"}


@pytest.mark.parametrize(("indicator", "lang", "text", "evidence"), list(_fire_params()))
def test_fires_with_evidence(rules_detector, indicator, lang, text, evidence):
    hits = _hits(rules_detector, lang, text)
    assert indicator in hits, f"{indicator} not found; found {sorted(hits)}"
    spans = [ev.text for ev in hits[indicator].evidence]
    assert any(evidence in span for span in spans), f"evidence {spans} lacks {evidence!r}"
    for ev in hits[indicator].evidence:
        assert text[ev.start:ev.end] == ev.text


@pytest.mark.parametrize(("indicator", "lang", "text"), list(_quiet_params()))
def test_quiet_on_negation_and_reassurance(rules_detector, indicator, lang, text):
    hits = _hits(rules_detector, lang, text)
    fired = [e.text for e in hits[indicator].evidence] if indicator in hits else []
    assert not fired, f"{indicator} fired on {fired}"


@pytest.mark.parametrize(("lang", "text"), ORDINARY,
                         ids=[f"{lang}:{_slug(text)}" for lang, text in ORDINARY])
def test_ordinary_ads_stay_low(rules_detector, lang, text):
    [assessment] = rules_detector.assess([Ad(id="ordinary", lang=lang, text=text)])
    found = {hit.id: [e.text for e in hit.evidence] for hit in assessment.hits}
    assert assessment.risk == "low", f"risk {assessment.risk} ({assessment.score}) from {found}"
    assert not any(hit.strength == "strong" for hit in assessment.hits), found
