"""The demo programme: five Beijing tertiary hospitals, each supporting one hospital in
Baoding (Hebei) on two to four specialties for three to five years, modelled on the
Beijing–Hebei collaborative healthcare programme; plus a few more county hospitals."""

SPECIALTIES = [
    ("cardiology", "心血管内科", "Cardiology"),
    ("neurology", "神经内科", "Neurology"),
    ("neurosurgery", "神经外科", "Neurosurgery"),
    ("paediatrics", "儿科", "Paediatrics"),
    ("orthopaedics", "骨科", "Orthopaedics"),
    ("respiratory", "呼吸内科", "Respiratory medicine"),
    ("endocrinology", "内分泌科", "Endocrinology"),
    ("oncology", "肿瘤科", "Oncology"),
    ("obstetrics", "妇产科", "Obstetrics and gynaecology"),
    ("general_surgery", "普通外科", "General surgery"),
    ("ophthalmology", "眼科", "Ophthalmology"),
    ("tcm", "中医科", "Traditional Chinese medicine"),
]

# code, name, English name, tier, region, latitude, longitude
HOSPITALS = [
    ("BJ-TIANTAN", "首都医科大学附属北京天坛医院", "Beijing Tiantan Hospital", "tertiary", "北京市",
     39.838, 116.298),
    ("BJ-CHILDREN", "首都医科大学附属北京儿童医院", "Beijing Children's Hospital", "tertiary", "北京市",
     39.907, 116.353),
    ("BJ-JISHUITAN", "北京积水潭医院", "Beijing Jishuitan Hospital", "tertiary", "北京市", 39.944, 116.373),
    ("BJ-CHAOYANG", "首都医科大学附属北京朝阳医院", "Beijing Chao-Yang Hospital", "tertiary", "北京市",
     39.923, 116.451),
    ("BJ-ANZHEN", "首都医科大学附属北京安贞医院", "Beijing Anzhen Hospital", "tertiary", "北京市", 39.972, 116.403),
    ("BD-ZHUOZHOU", "涿州市医院", "Zhuozhou Hospital", "grassroots", "河北省保定市", 39.485, 115.974),
    ("BD-CHILDREN", "保定市儿童医院", "Baoding Children's Hospital", "grassroots", "河北省保定市", 38.874, 115.464),
    ("BD-LAISHUI", "涞水县医院", "Laishui County Hospital", "grassroots", "河北省保定市", 39.394, 115.713),
    ("BD-YIXIAN", "易县医院", "Yixian County Hospital", "grassroots", "河北省保定市", 39.349, 115.498),
    ("BD-DINGXING", "定兴县医院", "Dingxing County Hospital", "grassroots", "河北省保定市", 39.263, 115.808),
    ("BD-FUPING", "阜平县医院", "Fuping County Hospital", "grassroots", "河北省保定市", 38.849, 114.195),
    ("BD-QUYANG", "曲阳县医院", "Quyang County Hospital", "grassroots", "河北省保定市", 38.622, 114.745),
    ("BD-TANGXIAN", "唐县人民医院", "Tangxian People's Hospital", "grassroots", "河北省保定市", 38.748, 114.982),
]

# tertiary, grassroots, specialties, start year, years
PARTNERSHIPS = [
    ("BJ-TIANTAN", "BD-ZHUOZHOU", ["neurology", "neurosurgery", "cardiology"], 2024, 5),
    ("BJ-CHILDREN", "BD-CHILDREN", ["paediatrics", "respiratory"], 2025, 3),
    ("BJ-JISHUITAN", "BD-LAISHUI", ["orthopaedics", "general_surgery"], 2024, 4),
    ("BJ-CHAOYANG", "BD-YIXIAN", ["respiratory", "cardiology", "endocrinology", "oncology"], 2025, 5),
    ("BJ-ANZHEN", "BD-DINGXING", ["cardiology", "endocrinology", "general_surgery"], 2026, 3),
]

# email local part, name, hospital, title, specialties, accepts on-site
EXPERTS = [
    ("wang.lei", "王磊", "BJ-TIANTAN", "chief_physician", ["neurology"], True),
    ("li.na", "李娜", "BJ-TIANTAN", "associate_chief_physician", ["neurosurgery", "neurology"], False),
    ("zhao.min", "赵敏", "BJ-TIANTAN", "attending_physician", ["cardiology"], True),
    ("chen.jing", "陈静", "BJ-CHILDREN", "chief_physician", ["paediatrics"], True),
    ("liu.yang", "刘洋", "BJ-CHILDREN", "associate_chief_physician", ["paediatrics", "respiratory"], False),
    ("yang.fan", "杨帆", "BJ-JISHUITAN", "chief_physician", ["orthopaedics"], True),
    ("huang.tao", "黄涛", "BJ-JISHUITAN", "attending_physician", ["general_surgery", "orthopaedics"], True),
    ("zhou.qiang", "周强", "BJ-CHAOYANG", "chief_physician", ["respiratory"], True),
    ("wu.xia", "吴霞", "BJ-CHAOYANG", "associate_chief_physician", ["endocrinology", "oncology"], False),
    ("xu.hui", "徐慧", "BJ-CHAOYANG", "attending_physician", ["cardiology"], False),
    ("sun.hao", "孙浩", "BJ-ANZHEN", "chief_physician", ["cardiology"], True),
    ("ma.li", "马丽", "BJ-ANZHEN", "associate_chief_physician", ["endocrinology", "general_surgery"], False),
]

DEMO_PASSWORD = "huizhen-demo-2026"
