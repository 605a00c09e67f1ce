CREATE TABLE `auth_attempts` (
	`id_hash` varchar(64) NOT NULL,
	`kind` varchar(16) NOT NULL,
	`step` varchar(16) NOT NULL,
	`user_id` bigint unsigned,
	`username` varchar(32),
	`username_key` varchar(32),
	`password_hash` varchar(255),
	`challenge` varchar(128),
	`challenge_expires_at` datetime(3),
	`captcha_hash` varchar(64),
	`captcha_expires_at` datetime(3),
	`recovery_code_number` tinyint unsigned,
	`pending_data` text,
	`ip` varchar(45) NOT NULL,
	`user_agent` varchar(255) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	`expires_at` datetime(3) NOT NULL,
	CONSTRAINT `auth_attempts_id_hash` PRIMARY KEY(`id_hash`)
);
--> statement-breakpoint
CREATE TABLE `recovery_codes` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`number` tinyint unsigned NOT NULL,
	`code_hash` varchar(255) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	`used_at` datetime(3),
	CONSTRAINT `recovery_codes_id` PRIMARY KEY(`id`),
	CONSTRAINT `recovery_codes_user_number_unique` UNIQUE(`user_id`,`number`)
);
--> statement-breakpoint
CREATE TABLE `security_events` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`type` varchar(40) NOT NULL,
	`ip` varchar(45) NOT NULL,
	`user_agent` varchar(255) NOT NULL,
	`detail` varchar(255),
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `security_events_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `webauthn_credentials` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`credential_id` varchar(1400) NOT NULL,
	`credential_id_hash` varchar(64) NOT NULL,
	`public_key` varchar(2048) NOT NULL,
	`sign_count` bigint unsigned NOT NULL,
	`transports` varchar(255) NOT NULL,
	`name` varchar(64) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	`created_ip` varchar(45) NOT NULL,
	`created_user_agent` varchar(255) NOT NULL,
	`last_used_at` datetime(3),
	`revoked_at` datetime(3),
	CONSTRAINT `webauthn_credentials_id` PRIMARY KEY(`id`),
	CONSTRAINT `webauthn_credentials_id_hash_unique` UNIQUE(`credential_id_hash`)
);
--> statement-breakpoint
ALTER TABLE `sessions` ADD `kind` varchar(16) NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `csrf_token` varchar(64) NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `authenticated_at` datetime(3) NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `ip` varchar(45) NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `user_agent` varchar(255) NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `password_hash` varchar(255) NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `failed_attempts` int unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `next_attempt_at` datetime(3);--> statement-breakpoint
ALTER TABLE `users` ADD `locked_at` datetime(3);--> statement-breakpoint
ALTER TABLE `users` ADD `password_compromised_at` datetime(3);--> statement-breakpoint
ALTER TABLE `users` ADD `password_changed_at` datetime(3) NOT NULL;--> statement-breakpoint
ALTER TABLE `auth_attempts` ADD CONSTRAINT `auth_attempts_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `recovery_codes` ADD CONSTRAINT `recovery_codes_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `security_events` ADD CONSTRAINT `security_events_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `webauthn_credentials` ADD CONSTRAINT `webauthn_credentials_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `auth_attempts_expires_at_idx` ON `auth_attempts` (`expires_at`);--> statement-breakpoint
CREATE INDEX `security_events_user_created_idx` ON `security_events` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `webauthn_credentials_user_id_idx` ON `webauthn_credentials` (`user_id`);