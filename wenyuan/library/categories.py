"""The default category tree, seeded by a data migration.

Each entry: (slug, Chinese name, English name, hint words used to classify an upload
whose uploader chose no category).  Children sit under their parent's slug.
"""

DEFAULT_CATEGORIES: list[tuple[str, str, str, list[tuple[str, str, str, str]]]] = [
    (
        "education",
        "教育资料",
        "Education",
        [
            (
                "teaching",
                "教案课件",
                "Lesson plans & slides",
                "教案 课件 教学 课堂 学生 老师 教师 课程 教学设计 备课",
            ),
            (
                "exams",
                "试题试卷",
                "Exams & exercises",
                "试题 试卷 考试 习题 答案 练习 真题 模拟 选择题 填空",
            ),
            ("study", "学习笔记", "Study notes", "学习 笔记 复习 知识点 总结 提纲 读书 心得 要点"),
        ],
    ),
    (
        "official",
        "党政公文",
        "Official writing",
        [
            (
                "work-reports",
                "工作总结",
                "Work reports",
                "工作 总结 汇报 报告 计划 年度 述职 工作总结 部署",
            ),
            ("speeches", "讲话发言", "Speeches", "讲话 发言 致辞 讲话稿 会议 同志们 动员"),
            (
                "experience",
                "经验材料",
                "Experience papers",
                "群众 经验 交流 材料 群众工作 党建 基层 组织 干部 党员",
            ),
        ],
    ),
    (
        "literature",
        "文学艺术",
        "Literature & arts",
        [
            (
                "classics",
                "古典小说",
                "Classical fiction",
                "小说 回目 章回 话说 且听下回分解 却说 玄德 宝玉 行者 宋江",
            ),
            ("poetry", "诗词歌赋", "Poetry", "诗 词 赋 唐诗 宋词 诗经 绝句 律诗 古诗"),
            ("essays", "散文随笔", "Essays", "散文 随笔 杂文 游记 小品 书信"),
        ],
    ),
    (
        "business",
        "经济管理",
        "Business & economics",
        [
            (
                "finance",
                "财务会计",
                "Finance & accounting",
                "财务 会计 预算 报表 成本 资产 负债 利润 税务 审计 收入 支出",
            ),
            ("marketing", "市场营销", "Marketing", "市场 营销 销售 品牌 客户 推广 渠道 广告"),
            (
                "management",
                "企业管理",
                "Management",
                "管理 企业 公司 制度 流程 绩效 员工 人力资源 组织",
            ),
        ],
    ),
    (
        "technology",
        "计算机与技术",
        "Computing & technology",
        [
            (
                "programming",
                "编程开发",
                "Programming",
                "编程 程序 代码 软件 开发 python java 函数 数据库 算法",
            ),
            (
                "standards",
                "标准规范",
                "Standards",
                "标准 规范 规定 规程 ISO 技术要求 specification standard",
            ),
            ("engineering", "工程技术", "Engineering", "工程 设计 施工 电气 机械 建筑 材料 电路"),
        ],
    ),
    (
        "law",
        "法律法规",
        "Law",
        [
            ("contracts", "合同范本", "Contract templates", "合同 协议 甲方 乙方 条款 违约 签订"),
            (
                "regulations",
                "法律法规",
                "Laws & regulations",
                "法律 法规 条例 办法 规定 司法 法院 诉讼",
            ),
        ],
    ),
    (
        "life",
        "生活休闲",
        "Everyday life",
        [
            ("health", "医学健康", "Health", "健康 医学 疾病 治疗 医院 药物 养生 营养"),
            ("travel", "旅游美食", "Travel & food", "旅游 景点 美食 菜谱 酒店 攻略"),
        ],
    ),
    ("other", "其他", "Other", []),
]
