"""Official documents (公文) built from the warehouse: 月度通报, 季度排名通报, 年度考核通报 and 专报, as .docx and PDF."""
