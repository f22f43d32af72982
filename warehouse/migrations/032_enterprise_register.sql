-- 企业登记名录 (contract extension 16, CONTRACT.md §5.4): an extract of the enterprise register (the 市场监管 register
-- of enterprises registered in Gansu). Reloading the register replaces it whole. The risk rules check a 境外
-- investor's name against it: a Hong Kong "investor" named like a Gansu-registered company is the look-alike
-- through which provincial money is passed off as foreign.
CREATE TABLE enterprise_register (
    company_name VARCHAR NOT NULL,
    uscc         VARCHAR NOT NULL,   -- valid 18-character USCC; characters 3–8 are the registration region
    authority    VARCHAR             -- 登记机关, as given
);
