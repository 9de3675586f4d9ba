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
-- The warehouse's business databases (the seed's uc_account and crm),
-- captured by the CDC connectors of deployments/pipelines/edu: students
-- and users for the hourly registrations (job 6), course-pack orders for
-- the consultants' daily tracking (job 7). Times are DATETIME, which CDC
-- writes as epoch milliseconds of the wall clock.
CREATE DATABASE IF NOT EXISTS uc_account;
CREATE TABLE IF NOT EXISTS uc_account.student (
  id BIGINT PRIMARY KEY,
  channel_id VARCHAR(64),
  update_time DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) DEFAULT CHARSET = utf8mb4;
CREATE TABLE IF NOT EXISTS uc_account.user (
  id BIGINT PRIMARY KEY,
  name VARCHAR(128),
  register_date_time DATETIME(3),
  status VARCHAR(16)
) DEFAULT CHARSET = utf8mb4;
CREATE DATABASE IF NOT EXISTS crm;
CREATE TABLE IF NOT EXISTS crm.data_pack_order_info (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  cc_id BIGINT,
  student_id BIGINT,
  order_id BIGINT,
  confirm_date_time DATETIME(3),
  create_time DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  update_time DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  order_create_time DATETIME(3),
  canceled_date_time DATETIME(3),
  apply_refund_date DATETIME(3),
  status TINYINT
) DEFAULT CHARSET = utf8mb4;
-- Result tables the rds sink creates (auto.create) live apart from the
-- business data.
CREATE DATABASE IF NOT EXISTS results;
