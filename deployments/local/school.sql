-- The demo's business database: make run's CDC connector captures it.
-- Runs on every start of `tributary local mariadb --init`, so it only
-- creates what is missing.
CREATE DATABASE IF NOT EXISTS school;
CREATE TABLE IF NOT EXISTS school.registrations (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  student_id INT NOT NULL,
  channel VARCHAR(64) NOT NULL,
  level TINYINT NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) DEFAULT CHARSET = utf8mb4;
CREATE TABLE IF NOT EXISTS school.orders (
  id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
  student_id INT NOT NULL,
  amount DECIMAL(10, 2) NOT NULL,
  status TINYINT NOT NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) DEFAULT CHARSET = utf8mb4;
-- Result tables the rds sink creates (auto.create) live apart from the
-- business data.
CREATE DATABASE IF NOT EXISTS results;
